/**
 * The job list against a real Jupyter server with the Airlock server extension (started
 * by @jupyterlab/testing; nothing is mocked).
 */
import { ServerConnection } from '@jupyterlab/services';

import { AirlockClient } from '../api';
import { JobsModel } from '../jobs';

import { airlockServer } from './airlockServer';

airlockServer();

function models(): { jobs: JobsModel; client: AirlockClient } {
  const client = new AirlockClient(ServerConnection.makeSettings());
  return { client, jobs: new JobsModel(client) };
}

describe('JobsModel', () => {
  it('loads the jobs the server keeps', async () => {
    const { jobs } = models();
    let changes = 0;
    jobs.changed.connect(() => (changes += 1));

    await jobs.refresh();

    expect(jobs.error).toBeNull();
    // Node's fetch parses the answer in Node's realm: not an instance of jsdom's Array.
    expect(Array.isArray(jobs.jobs)).toBe(true);
    expect(changes).toBeGreaterThan(0);
    jobs.dispose();
  });

  it('shows why a job cannot be rolled back, next to that job', async () => {
    const { jobs } = models();
    const id = '0'.repeat(32);

    expect(await jobs.rollback(id)).toBeNull();

    expect(jobs.refusal).toEqual({
      job: id,
      message: expect.stringContaining(`There is no job ${id}`)
    });
    jobs.dispose();
  });

  it('says plainly when the server cannot be reached', async () => {
    const jobs = new JobsModel(
      new AirlockClient(
        ServerConnection.makeSettings({ baseUrl: 'http://127.0.0.1:9/' })
      )
    );

    await jobs.refresh();

    expect(jobs.error).toContain('Cannot reach the Jupyter server');
    jobs.dispose();
  });
});
