import { TranslationBundle } from '@jupyterlab/translation';
import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IArtifactEntry } from '../../api';
import { CatalogModel } from '../../catalog';
import { JobsModel } from '../../jobs';
import { copyAsking } from './copy';

/**
 * Where the selected file goes in the workspace, Copy (or Cancel while copying), and
 * the last copy's progress as the job list follows it.
 */
export function CopyBox(props: {
  model: CatalogModel;
  jobs: JobsModel;
  entry: IArtifactEntry;
  trans: TranslationBundle;
  onOpen: (path: string) => void;
}): JSX.Element {
  const { model, jobs, entry, trans, onOpen } = props;
  const [destination, setDestination] = React.useState(entry.name);
  React.useEffect(() => setDestination(entry.name), [entry.key]);
  return (
    <UseSignal signal={jobs.changed}>
      {() => {
        const started = model.copyJob;
        // The job list has the newest state; until it lists the job, the one started.
        const listed = started && jobs.job(started.id);
        const job = listed?.kind === 'copy' ? listed : started;
        const running = job !== null && !job.finished;
        const refusal =
          job && jobs.refusal?.job === job.id ? jobs.refusal.message : null;
        return (
          <>
            <div className="jp-Airlock-row">
              <input
                className="jp-mod-styled jp-Airlock-destination"
                aria-label={trans.__('Copy to (path in the workspace)')}
                value={destination}
                onChange={event => setDestination(event.currentTarget.value)}
              />
              {running ? (
                <Button
                  small
                  className="jp-Airlock-secondary"
                  onClick={() => void jobs.cancel(job.id)}
                >
                  {trans.__('Cancel')}
                </Button>
              ) : (
                <Button
                  small
                  className="jp-mod-styled jp-mod-accept"
                  disabled={!destination.trim()}
                  onClick={() => void copyAsking(model, destination, trans)}
                >
                  {trans.__('Copy to workspace')}
                </Button>
              )}
            </div>
            {job && (
              <div className="jp-Airlock-job" data-testid="airlock-copy-job">
                <progress
                  max={1}
                  value={job.progress ?? undefined}
                  aria-label={trans.__('Copy progress')}
                />
                <span>
                  {jobStateLabel(job.state, !!job.result?.verified, trans)}
                </span>
                {job.error && (
                  <div className="jp-Airlock-error">{job.error.message}</div>
                )}
                {refusal && <div className="jp-Airlock-error">{refusal}</div>}
                {job.state === 'succeeded' && job.result?.path && (
                  <Button
                    small
                    className="jp-Airlock-secondary"
                    onClick={() => onOpen(job.result!.path)}
                  >
                    {trans.__('Open %1', job.result.path)}
                  </Button>
                )}
              </div>
            )}
          </>
        );
      }}
    </UseSignal>
  );
}

function jobStateLabel(
  state: string,
  verified: boolean,
  trans: TranslationBundle
): string {
  if (state === 'succeeded' && !verified) {
    return trans.__('copied (no manifest lists it: not verified)');
  }
  const labels: { [state: string]: string } = {
    queued: trans.__('waiting'),
    running: trans.__('copying…'),
    succeeded: trans.__('copied and verified'),
    failed: trans.__('failed'),
    cancelled: trans.__('cancelled'),
    interrupted: trans.__('interrupted')
  };
  return labels[state] ?? state;
}
