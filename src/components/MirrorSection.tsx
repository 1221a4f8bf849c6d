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
  return (
    <div className="jp-Airlock-mirror">
      {model.error && (
        <div className="jp-Airlock-error" role="alert">
          {model.error}
        </div>
      )}
      <dl className="jp-Airlock-facts">
        <dt>{trans.__('Active profile')}</dt>
        <dd>
          <span data-testid="airlock-active-profile">
            {active ? active.name : trans.__('none')}
          </span>
          {activeIsManaged && (
            <span className="jp-Airlock-badge">{trans.__('managed')}</span>
          )}
        </dd>
        {active?.description && (
          <>
            <dt>{trans.__('Description')}</dt>
            <dd>{active.description}</dd>
          </>
        )}
        {active?.pip?.['index-url'] && (
          <>
            <dt>{trans.__('pip index')}</dt>
            <dd className="jp-Airlock-url">{active.pip['index-url']}</dd>
          </>
        )}
      </dl>
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
              const name = choice.managed
                ? trans.__('%1 (managed)', choice.profile.name)
                : choice.profile.name;
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
          onClick={() => void model.check()}
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
      {model.connectivity && (
        <ProbeResults results={model.connectivity.results} trans={trans} />
      )}
      {model.doctor && (
        <DoctorResults results={model.doctor.results} trans={trans} />
      )}
      {model.effective && (
        <EffectiveConfig effective={model.effective} trans={trans} />
      )}
    </div>
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
        <li
          key={`${result.endpoint} ${result.url}`}
          className={result.ok ? 'jp-Airlock-ok' : 'jp-Airlock-failed'}
        >
          <span aria-hidden="true">{result.ok ? '✓ ' : '✗ '}</span>
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
        <li
          key={result.tool}
          className={result.ok ? 'jp-Airlock-ok' : 'jp-Airlock-failed'}
        >
          <span aria-hidden="true">{result.ok ? '✓ ' : '✗ '}</span>
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
