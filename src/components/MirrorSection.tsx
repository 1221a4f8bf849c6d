import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  IDoctorResult,
  IEffectiveConfig,
  IProbeResult,
  ISetting
} from '../api';
import { ProfilesModel } from '../profiles';

/**
 * The Mirror section: the active profile, the picker, undo, connectivity, leaks and the
 * effective configuration of pip, conda and npm with the file each value came from.
 */
export function MirrorSection(props: {
  model: ProfilesModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const state = model.state;
  const active = state?.active ?? null;
  const choices = model.choices;
  const activeIsManaged = !!state?.managed.some(p => p.name === active?.name);
  const [probesShown, setProbesShown] = React.useState(false);
  const failed = !!model.connectivity?.results.some(result => !result.ok);
  React.useEffect(() => {
    if (failed) {
      setProbesShown(true);
    }
  }, [failed]);
  return (
    <div className="jp-Airlock-mirror">
      {model.error && (
        <div className="jp-Airlock-error" role="alert">
          {model.error}
        </div>
      )}
      <div className="jp-Airlock-profileLine">
        <strong
          className="jp-Airlock-profileName"
          data-testid="airlock-active-profile"
        >
          {active ? active.name : trans.__('none')}
        </strong>
        {activeIsManaged && (
          <span className="jp-Airlock-badge">{trans.__('managed')}</span>
        )}
      </div>
      {active?.description && (
        <p className="jp-Airlock-muted jp-Airlock-description">
          {active.description}
        </p>
      )}
      {active?.pip?.['index-url'] && (
        <div>
          <span className="jp-Airlock-muted">{trans.__('pip index')} </span>
          <span className="jp-Airlock-url">{active.pip['index-url']}</span>
        </div>
      )}
      {active && (
        <details
          className="jp-Airlock-health"
          open={probesShown}
          onToggle={event => setProbesShown(event.currentTarget.open)}
        >
          <summary data-testid="airlock-mirror-health">
            <MirrorHealth model={model} trans={trans} />
          </summary>
          {model.connectivity && (
            <ProbeResults results={model.connectivity.results} trans={trans} />
          )}
        </details>
      )}
      {state?.locked && (
        <p className="jp-Airlock-muted">
          {trans.__(
            'Your administrator manages and locks the mirror profiles.'
          )}
        </p>
      )}
      <div className="jp-Airlock-field">
        <label className="jp-Airlock-label" htmlFor="jp-airlock-profile-picker">
          {trans.__('Switch to')}
        </label>
        <HTMLSelect
          id="jp-airlock-profile-picker"
          aria-label={trans.__('Mirror profile')}
          value={active?.name ?? ''}
          disabled={model.busy || choices.length === 0}
          onChange={event => void model.switchTo(event.currentTarget.value)}
          options={[
            ...(active ? [] : [{ label: trans.__('(none)'), value: '' }]),
            ...choices.map(choice => {
              const leaks = state?.leaks[choice.profile.name]?.length ?? 0;
              // Managed or not shows beside the active profile: the names stay short.
              const name = choice.profile.name;
              return {
                label: leaks ? trans.__('%1 ⚠ %2 leak(s)', name, leaks) : name,
                value: choice.profile.name
              };
            })
          ]}
        />
      </div>
      <div className="jp-Airlock-row">
        <Button
          small
          className="jp-Airlock-secondary"
          disabled={model.busy || !state?.can_revert}
          onClick={() => void model.revert()}
          title={trans.__(
            "Put the tools' configuration files back as they were before the last switch"
          )}
        >
          {trans.__('Revert')}
        </Button>
        <Button
          small
          className="jp-Airlock-secondary"
          disabled={model.checking || !active}
          onClick={() => {
            setProbesShown(true);
            void model.check();
          }}
          title={trans.__('Probe each endpoint of the active profile')}
        >
          {model.checking
            ? trans.__('Checking…')
            : trans.__('Check connectivity')}
        </Button>
        <Button
          small
          className="jp-Airlock-secondary"
          disabled={model.doctoring || !active}
          onClick={() => void model.runDoctor()}
          title={trans.__(
            'Ask pip, uv, conda and npm to reach the mirror, as a kernel would'
          )}
        >
          {model.doctoring ? trans.__('Asking the tools…') : trans.__('Doctor')}
        </Button>
      </div>
      {model.doctor && (
        <DoctorResults results={model.doctor.results} trans={trans} />
      )}
      {model.effective && (
        <EffectiveConfig effective={model.effective} trans={trans} />
      )}
    </div>
  );
}

/**
 * The mirror's health in a few words: whether every endpoint of the active profile
 * answered the last probe.
 */
export function MirrorHealth(props: {
  model: ProfilesModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const results = model.connectivity?.results ?? [];
  const failed = results.filter(result => !result.ok);
  if (model.checking) {
    return <span className="jp-Airlock-muted">{trans.__('Checking…')}</span>;
  }
  if (results.length === 0) {
    return (
      <span className="jp-Airlock-muted">{trans.__('Not checked yet')}</span>
    );
  }
  return failed.length === 0 ? (
    <span className="jp-Airlock-ok">
      {trans._n(
        '✓ The endpoint answered',
        '✓ All %1 endpoints answered',
        results.length
      )}
    </span>
  ) : (
    <span className="jp-Airlock-failed">
      {trans.__('✗ %1 of %2 unreachable', failed.length, results.length)}
    </span>
  );
}

function ProbeResults(props: {
  results: IProbeResult[];
  trans: TranslationBundle;
}): JSX.Element {
  const { results, trans } = props;
  return (
    <ul className="jp-Airlock-probes" aria-label={trans.__('Connectivity')}>
      {results.map(result => (
        <li key={`${result.endpoint} ${result.url}`}>
          <Mark ok={result.ok} trans={trans} />
          <strong>{result.endpoint}</strong>{' '}
          <span className="jp-Airlock-url">{result.url}</span>
          {result.status !== null && ` HTTP ${result.status}`}
          {result.latency_ms !== null && (
            <span className="jp-Airlock-latency">
              {' · '}
              {trans.__('%1 ms', result.latency_ms)}
            </span>
          )}
          {result.cause && (
            <div className="jp-Airlock-muted">{result.cause}</div>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * What a doctor's answer proved: ✓ the tool resolved from the mirror, ⚠ it reached the
 * mirror without resolving anything, ✗ it failed, – there was nothing to check (the tool
 * is not installed, the profile is offline or says nothing for it).
 */
function doctorMark(result: IDoctorResult): MarkKind {
  if (result.outcome === 'failed') {
    return 'failed';
  }
  if (result.outcome === 'reached') {
    return result.ok ? 'ok' : 'partly';
  }
  return 'skipped';
}

type MarkKind = 'ok' | 'partly' | 'failed' | 'skipped';

/**
 * ✓, ⚠, ✗ or – in the status colour, said in words to screen readers.
 */
function Mark(props: {
  ok: boolean | MarkKind;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const kind: MarkKind =
    props.ok === true ? 'ok' : props.ok === false ? 'failed' : props.ok;
  const looks: { [kind in MarkKind]: [string, string, string] } = {
    ok: ['✓', 'jp-Airlock-ok', trans.__('fine:')],
    partly: ['⚠', 'jp-Airlock-partly', trans.__('not whole:')],
    failed: ['✗', 'jp-Airlock-failed', trans.__('failed:')],
    skipped: ['–', 'jp-Airlock-muted', trans.__('nothing checked:')]
  };
  const [mark, className, label] = looks[kind];
  return (
    <span className={className} role="img" aria-label={label}>
      {`${mark} `}
    </span>
  );
}

function DoctorResults(props: {
  results: IDoctorResult[];
  trans: TranslationBundle;
}): JSX.Element {
  const { results, trans } = props;
  return (
    <ul
      className="jp-Airlock-probes"
      aria-label={trans.__('Doctor')}
      data-testid="airlock-doctor"
    >
      {results.map(result => (
        <li key={result.tool}>
          <Mark ok={doctorMark(result)} trans={trans} />
          <strong>{result.tool}</strong> {result.message}
          {result.command && (
            <div className="jp-Airlock-muted">
              <code>{result.command}</code>
            </div>
          )}
          {result.output && (
            <details>
              <summary>{trans.__('Output')}</summary>
              <pre className="jp-Airlock-muted">{result.output}</pre>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

function EffectiveConfig(props: {
  effective: IEffectiveConfig;
  trans: TranslationBundle;
}): JSX.Element {
  const { effective, trans } = props;
  const groups: [string, ISetting[]][] = [
    // pip also lists the PIP_* variables under its own names (":env:.cert"); they show
    // once, under environment.
    ['pip', effective.effective.pip.filter(s => !s.key.startsWith(':env:'))],
    ['conda', effective.effective.conda],
    ['npm', effective.effective.npm],
    ['uv', effective.effective.uv],
    [trans.__('Extension Manager'), effective.effective.jupyter],
    [trans.__('environment'), effective.effective.environment]
  ];
  return (
    <div className="jp-Airlock-effective">
      {effective.leaks.map(leak => (
        <div
          key={`${leak.tool} ${leak.key} ${leak.source}`}
          className="jp-Airlock-warning"
          role="status"
          data-testid="airlock-leak"
        >
          {leak.message}
          <div className="jp-Airlock-muted">
            {leak.key} = {leak.value} ({leak.source})
          </div>
        </div>
      ))}
      <details className="jp-Airlock-settingsDetails">
        <summary className="jp-Airlock-subtitle">
          {trans.__('What pip, uv, conda, npm and JupyterLab now see')}
        </summary>
        <div
          className="jp-Airlock-settings"
          data-testid="airlock-effective"
          aria-label={trans.__('Effective configuration')}
        >
          {groups.map(([tool, settings]) =>
            settings.length === 0 ? null : (
              <section key={tool}>
                <h4 className="jp-Airlock-settingsTool">{tool}</h4>
                <dl>
                  {settings.map(setting => (
                    <React.Fragment key={`${tool} ${setting.key}`}>
                      <dt className="jp-Airlock-url">{setting.key}</dt>
                      <dd>
                        <span className="jp-Airlock-url">{setting.value}</span>
                        <div className="jp-Airlock-muted">{setting.source}</div>
                      </dd>
                    </React.Fragment>
                  ))}
                </dl>
              </section>
            )
          )}
        </div>
      </details>
    </div>
  );
}
