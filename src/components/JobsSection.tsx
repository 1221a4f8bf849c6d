import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, closeIcon, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJob } from '../api';
import { installResult } from '../install';
import { JobsModel } from '../jobs';

/**
 * The Jobs section: every job of the server, newest first, with its state, progress,
 * whole log on demand, Cancel while it runs and Roll back for a finished install.
 */
export function JobsSection(props: {
  model: JobsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="jp-Airlock-jobs" data-testid="airlock-jobs">
          {model.error && (
            <div className="jp-Airlock-error" role="alert">
              {model.error}
            </div>
          )}
          {model.jobs.length === 0 ? (
            <p className="jp-Airlock-empty">{trans.__('No jobs yet.')}</p>
          ) : (
            <ul className="jp-Airlock-jobList">
              {model.jobs.map(job => (
                <JobItem key={job.id} job={job} model={model} trans={trans} />
              ))}
            </ul>
          )}
        </div>
      )}
    </UseSignal>
  );
}

function JobItem(props: {
  job: IJob;
  model: JobsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, model, trans } = props;
  const [open, setOpen] = React.useState(false);
  const refusal = model.refusal?.job === job.id ? model.refusal.message : null;
  return (
    <li
      className="jp-Airlock-jobItem"
      data-testid="airlock-job"
      data-job-state={job.state}
    >
      <div className="jp-Airlock-row">
        <span className="jp-Airlock-jobTitle" title={job.title}>
          {job.title}
        </span>
        <JobState job={job} trans={trans} />
      </div>
      <div className="jp-Airlock-row">
        <span className="jp-Airlock-muted jp-Airlock-jobTime">
          {new Date(job.created).toLocaleString(undefined, {
            dateStyle: 'short',
            timeStyle: 'short'
          })}
        </span>
        {!job.finished && (
          <>
            <JobProgress job={job} trans={trans} />
            <Button
              small
              className="jp-Airlock-secondary"
              onClick={() => void model.cancel(job.id)}
            >
              {trans.__('Cancel')}
            </Button>
          </>
        )}
        {installResult(job)?.can_roll_back && (
          <Button
            small
            className="jp-Airlock-secondary"
            onClick={() => void rollBackAsking(model, job, trans)}
          >
            {trans.__('Roll back')}
          </Button>
        )}
      </div>
      {job.error && <div className="jp-Airlock-error">{job.error.message}</div>}
      {refusal && (
        <div className="jp-Airlock-error jp-Airlock-dismissable" role="alert">
          <span>{refusal}</span>
          <Button
            small
            minimal
            aria-label={trans.__('Dismiss')}
            title={trans.__('Dismiss')}
            onClick={() => model.dismissRefusal()}
          >
            <closeIcon.react tag="span" />
          </Button>
        </div>
      )}
      <details
        className="jp-Airlock-jobDetails"
        onToggle={event => setOpen(event.currentTarget.open)}
      >
        <summary>{trans.__('Log')}</summary>
        {open && <WatchedLog job={job} model={model} trans={trans} />}
      </details>
    </li>
  );
}

/**
 * A job's whole log, fetched while it is shown.
 */
function WatchedLog(props: {
  job: IJob;
  model: JobsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, model, trans } = props;
  React.useEffect(() => model.watch(job.id), [job.id]);
  return <JobLog lines={job.log} trans={trans} />;
}

/**
 * A job's log that follows its end while new lines arrive (unless the user scrolled up).
 */
export function JobLog(props: {
  lines: string[];
  trans: TranslationBundle;
}): JSX.Element {
  const { lines, trans } = props;
  const ref = React.useRef<HTMLPreElement>(null);
  const following = React.useRef(true);
  React.useEffect(() => {
    const element = ref.current;
    if (element && following.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [lines.length]);
  return (
    <pre
      ref={ref}
      className="jp-Airlock-log"
      data-testid="airlock-job-log"
      tabIndex={0}
      aria-label={trans.__('Job log')}
      onScroll={event => {
        const element = event.currentTarget;
        following.current =
          element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
      }}
    >
      {lines.length > 0 ? lines.join('\n') : trans.__('(nothing logged yet)')}
    </pre>
  );
}

export function JobProgress(props: {
  job: IJob;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, trans } = props;
  return (
    <progress
      className="jp-Airlock-progress"
      max={1}
      value={job.progress ?? undefined}
      aria-label={trans.__('Progress of %1', job.title)}
    />
  );
}

export function JobState(props: {
  job: IJob;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, trans } = props;
  const labels: { [state: string]: [string, string] } = {
    queued: [trans.__('waiting in line'), 'jp-Airlock-muted'],
    running: [trans.__('running'), 'jp-Airlock-muted'],
    succeeded: [trans.__('succeeded'), 'jp-Airlock-ok'],
    failed: [trans.__('failed'), 'jp-Airlock-failed'],
    cancelled: [trans.__('cancelled'), 'jp-Airlock-muted'],
    interrupted: [
      trans.__('interrupted by a server restart'),
      'jp-Airlock-failed'
    ]
  };
  // An install a roll back undid succeeded, but what it changed is gone.
  const rolledBack =
    job.kind === 'install' &&
    job.state === 'succeeded' &&
    job.result?.rolled_back;
  const [label, className] = rolledBack
    ? [trans.__('rolled back'), 'jp-Airlock-muted']
    : (labels[job.state] ?? [job.state, '']);
  return (
    <span
      className={`jp-Airlock-jobState ${className}`}
      data-testid="airlock-job-state"
    >
      {label}
    </span>
  );
}

async function rollBackAsking(
  model: JobsModel,
  job: IJob,
  trans: TranslationBundle
): Promise<void> {
  const answer = await showDialog({
    title: trans.__('Roll back?'),
    body: trans.__(
      'Put the environment back as it was before "%1": packages it added are removed, versions it replaced come back from the cache. Nothing is fetched.',
      job.title
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Roll back') })
    ]
  });
  if (answer.button.accept) {
    await model.rollback(job.id);
  }
}
