import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { IJob, IKernelEnvironment } from '../api';
import { installResult, InstallModel } from '../install';
import { AirlockModel } from '../model';
import { JobLog, JobProgress, JobState } from './JobsSection';
import { PlanView } from './PlanView';

/**
 * The install dialog, in the main area: pick a kernel and what to install, read the plan,
 * then install and follow the job. It owns its model and disposes of it when closed.
 */
export class InstallWidget extends ReactWidget {
  constructor(
    readonly model: InstallModel,
    private readonly _airlock: AirlockModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Airlock-installWidget');
    if (_airlock.environments === null) {
      void _airlock.refreshEnvironments();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    return (
      <InstallPanel
        model={this.model}
        airlock={this._airlock}
        trans={this._trans}
      />
    );
  }
}

/**
 * Re-render whenever one of the signals fires.
 */
function useSignals(...signals: ISignal<unknown, unknown>[]): void {
  const [, setCount] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setCount(count => count + 1);
    signals.forEach(signal => signal.connect(bump));
    return () => signals.forEach(signal => signal.disconnect(bump));
  }, signals);
}

function InstallPanel(props: {
  model: InstallModel;
  airlock: AirlockModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, airlock, trans } = props;
  useSignals(model.changed, airlock.stateChanged);
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    // Keyboard users land on the first choice.
    ref.current?.querySelector('select')?.focus();
  }, []);
  const busy = model.busy;
  return (
    <div className="jp-Airlock-install" data-testid="airlock-install" ref={ref}>
      <h2 className="jp-Airlock-title">{trans.__('Install packages')}</h2>
      <KernelPicker model={model} airlock={airlock} trans={trans} />
      <Items model={model} trans={trans} />
      <div className="jp-Airlock-field">
        <label className="jp-Airlock-label" htmlFor="jp-airlock-requirements">
          {trans.__('Requirements, one per line (for example pandas>=2)')}
        </label>
        <textarea
          id="jp-airlock-requirements"
          className="jp-Airlock-requirements"
          rows={3}
          value={model.requirements}
          disabled={busy}
          onChange={event => model.setRequirements(event.currentTarget.value)}
        />
      </div>
      <div className="jp-Airlock-row">
        <Button
          // The main action until there is a plan; then Install is.
          className={
            model.plan ? 'jp-Airlock-secondary' : 'jp-mod-styled jp-mod-accept'
          }
          disabled={!model.request || model.planning || busy}
          onClick={() => void model.makePlan()}
        >
          {model.planning ? trans.__('Planning…') : trans.__('Plan')}
        </Button>
        {!model.request && !busy && (
          <span className="jp-Airlock-muted">
            {trans.__(
              'Choose a kernel and something to install, then ask for the plan: nothing changes before you confirm it.'
            )}
          </span>
        )}
      </div>
      {model.error && (
        <div className="jp-Airlock-error" role="alert">
          {model.error}
        </div>
      )}
      {model.plan && (
        <PlanView plan={model.plan} trans={trans} client={model.client} />
      )}
      {model.plan && (
        <div className="jp-Airlock-row">
          <Button
            className="jp-mod-styled jp-mod-accept"
            disabled={!model.canInstall}
            onClick={() => void model.install()}
          >
            {trans.__('Install')}
          </Button>
        </div>
      )}
      {model.job && <InstallJob job={model.job} model={model} trans={trans} />}
    </div>
  );
}

function KernelPicker(props: {
  model: InstallModel;
  airlock: AirlockModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, airlock, trans } = props;
  const environments = airlock.environments;
  const options = environments
    ? environments.map(environment => {
        const why = whyNot(environment);
        return {
          label: why
            ? trans.__(
                '%1 (cannot install here: %2)',
                environment.display_name,
                why
              )
            : environment.display_name,
          value: environment.name,
          disabled: why !== null
        };
      })
    : airlock.kernels.map(kernel => ({
        label: kernel.displayName,
        value: kernel.name
      }));
  const chosen = environments?.find(env => env.name === model.kernel);
  const why = chosen ? whyNot(chosen) : null;
  return (
    <>
      <div className="jp-Airlock-row">
        <label className="jp-Airlock-label" htmlFor="jp-airlock-install-kernel">
          {trans.__('Kernel')}
        </label>
        <HTMLSelect
          id="jp-airlock-install-kernel"
          aria-label={trans.__('Kernel to install into')}
          value={model.kernel ?? ''}
          disabled={model.busy}
          onChange={event => model.setKernel(event.currentTarget.value || null)}
          options={[
            ...(model.kernel
              ? []
              : [{ label: trans.__('Choose…'), value: '' }]),
            // The kernel asked for shows at once, before the kernel list has loaded.
            ...(model.kernel && !options.some(o => o.value === model.kernel)
              ? [{ label: model.kernel, value: model.kernel }]
              : []),
            ...options
          ]}
        />
      </div>
      {environments === null && (
        <p className="jp-Airlock-muted">
          {trans.__('Looking at the environments behind the kernels…')}
        </p>
      )}
      {chosen && !why && (
        <p className="jp-Airlock-muted jp-Airlock-url">
          {trans.__('Python %1 in %2', chosen.version, chosen.prefix)}
        </p>
      )}
      {why && (
        <div className="jp-Airlock-warning" role="status">
          {why}
        </div>
      )}
    </>
  );
}

/**
 * Why nothing can be installed into this kernel's environment, or null if it can.
 */
function whyNot(environment: IKernelEnvironment): string | null {
  if (environment.error) {
    return environment.error.message;
  }
  return environment.writable
    ? null
    : (environment.why_not_writable ?? environment.advice ?? '');
}

function Items(props: {
  model: InstallModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const groups: [string, readonly string[]][] = [
    [trans.__('From the artifact source'), model.keys],
    [trans.__('From the workspace'), model.paths]
  ];
  return (
    <>
      {groups
        .filter(([, items]) => items.length > 0)
        .map(([title, items]) => (
          <div key={title}>
            <h3 className="jp-Airlock-subtitle">{title}</h3>
            <ul className="jp-Airlock-installItems">
              {items.map(item => (
                <li key={item} className="jp-Airlock-row">
                  <span className="jp-Airlock-url">{item}</span>
                  <Button
                    small
                    minimal
                    disabled={model.busy}
                    aria-label={trans.__('Leave out %1', item)}
                    title={trans.__('Leave out %1', item)}
                    onClick={() => model.remove(item)}
                  >
                    ×
                  </Button>
                </li>
              ))}
            </ul>
          </div>
        ))}
    </>
  );
}

function InstallJob(props: {
  job: IJob;
  model: InstallModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, model, trans } = props;
  const result = installResult(job);
  const rollback = model.jobs.rollbackOf(job.id);
  return (
    <section
      className="jp-Airlock-installJob"
      data-testid="airlock-install-job"
      aria-label={trans.__('Install')}
    >
      <div className="jp-Airlock-row">
        <JobState job={job} trans={trans} />
        {!job.finished && (
          <>
            <JobProgress job={job} trans={trans} />
            <Button small onClick={() => void model.cancel()}>
              {trans.__('Cancel')}
            </Button>
          </>
        )}
      </div>
      {job.error && (
        <div className="jp-Airlock-error" role="alert">
          {job.error.message}
        </div>
      )}
      {rollback && (
        <div
          className={
            rollback.state === 'succeeded'
              ? 'jp-Airlock-warning'
              : 'jp-Airlock-muted'
          }
          role="status"
          data-testid="airlock-install-rolled-back"
        >
          {rollback.state === 'succeeded'
            ? trans.__(
                'Rolled back: the environment is as it was before this install.'
              )
            : rollback.finished
              ? trans.__('The roll back ended: %1.', rollback.state)
              : trans.__('Rolling back…')}
        </div>
      )}
      {result && rollback?.state !== 'succeeded' && (
        <ul className="jp-Airlock-changes" aria-label={trans.__('Changes')}>
          {result.changes.map(change => (
            <li key={change.name}>
              {change.version === null
                ? trans.__('%1 removed', change.name)
                : change.previous === null
                  ? trans.__('%1 %2 installed', change.name, change.version)
                  : trans.__(
                      '%1 %2 → %3',
                      change.name,
                      change.previous,
                      change.version
                    )}
            </li>
          ))}
        </ul>
      )}
      <JobLog lines={job.log} trans={trans} />
    </section>
  );
}
