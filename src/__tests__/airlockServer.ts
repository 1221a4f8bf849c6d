/**
 * A real Jupyter server for a spec file, started by @jupyterlab/testing before its tests
 * (with a fresh data folder, so the audit trail and the jobs start empty) and shut down
 * after them. Airlock's server extension is loaded with ``airlock`` as its configuration,
 * or, with ``null``, not loaded at all.
 */
import { JSONObject } from '@lumino/coreutils';
import { JupyterServer } from '@jupyterlab/testing';

const NO_PROFILES: JSONObject = { profiles: [], active_profile: '' };

export function airlockServer(airlock: JSONObject | null = NO_PROFILES): void {
  const server = new JupyterServer();
  beforeAll(async () => {
    await server.start({
      configData: {
        ServerApp: {
          allow_root: true,
          jpserver_extensions: { jupyterlab_airlock: airlock !== null }
        },
        ...(airlock !== null ? { Airlock: airlock } : {})
      }
    });
  }, 60000);
  afterAll(async () => {
    await server.shutdown();
  });
}
