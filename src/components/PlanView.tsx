import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AirlockClient, IInstallPlan, IInstallStep } from '../api';
import { describeAction } from '../install';
import { Deliveries, DmzRequest } from './DmzRequest';
import { formatSize } from './format';
import { AdvisoriesBadge, TrustBadge } from './Trust';

/**
 * What an install would do: what is missing or refused, then each package with its
 * version, change, why it comes along, checksum and size.
 */
export function PlanView(props: {
  plan: IInstallPlan;
  trans: TranslationBundle;
  /**
   * Offers to ask the DMZ for what the plan lacks.
   */
  client?: AirlockClient;
}): JSX.Element {
  const { plan, trans, client } = props;
  return (
    <section
      className="jp-Airlock-plan"
      data-testid="airlock-plan"
      aria-label={trans.__('Plan')}
    >
      <p className={plan.ok ? 'jp-Airlock-ok' : 'jp-Airlock-failed'}>
        {plan.summary}
      </p>
      {plan.missing.map(item => (
        <div
          key={`missing ${item.requirement} ${item.needed_by}`}
          className="jp-Airlock-error"
          role="alert"
          data-testid="airlock-plan-missing"
        >
          {item.message}
          {item.unusable && item.unusable.length > 0 && (
            <details>
              <summary>
                {trans.__(
                  'Files in the source that cannot be used (%1)',
                  item.unusable.length
                )}
              </summary>
              <ul>
                {item.unusable.map(unusable => (
                  <li key={unusable.file}>
                    <code>{unusable.file}</code>: {unusable.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      ))}
      {client && <DmzRequest plan={plan} client={client} trans={trans} />}
      {plan.refused.map(item => (
        <div
          key={`refused ${item.item} ${item.message}`}
          className="jp-Airlock-error"
          role="alert"
          data-testid="airlock-plan-refused"
        >
          {item.message}
        </div>
      ))}
      <Deliveries plan={plan} trans={trans} />
      {plan.steps.length > 0 && (
        <table className="jp-Airlock-table" aria-label={trans.__('Packages')}>
          <thead>
            <tr>
              <th>{trans.__('Package')}</th>
              <th>{trans.__('Version')}</th>
              <th>{trans.__('Change')}</th>
              <th>{trans.__('Why')}</th>
              <th>{trans.__('Verification')}</th>
              <th>{trans.__('Size')}</th>
            </tr>
          </thead>
          <tbody>
            {plan.steps.map(step => (
              <StepRow key={step.name} step={step} trans={trans} />
            ))}
          </tbody>
        </table>
      )}
      <p className="jp-Airlock-muted jp-Airlock-url">
        {trans.__(
          'Into %1 (Python %2)',
          plan.environment.prefix,
          plan.environment.python_version
        )}
      </p>
    </section>
  );
}

function StepRow(props: {
  step: IInstallStep;
  trans: TranslationBundle;
}): JSX.Element {
  const { step, trans } = props;
  return (
    <tr data-testid="airlock-plan-step" data-package={step.name}>
      <td title={step.file}>{step.name}</td>
      <td>{step.version}</td>
      <td>{describeAction(step, trans)}</td>
      <td>
        {step.requested
          ? trans.__('requested')
          : step.needed_by.length > 0
            ? trans.__('dependency of %1', step.needed_by.join(', '))
            : trans.__('dependency')}
      </td>
      <td>
        {step.trust ? (
          <TrustBadge trust={step.trust} trans={trans} />
        ) : step.verified ? (
          <span
            className="jp-Airlock-ok"
            title={trans.__('Its sha256 matches a manifest of the source')}
          >
            {trans.__('✓ verified')}
          </span>
        ) : (
          <span
            className="jp-Airlock-muted"
            title={trans.__('No manifest of the source lists it')}
          >
            {trans.__('not listed')}
          </span>
        )}
        <AdvisoriesBadge advisories={step.advisories} trans={trans} />
      </td>
      <td>{step.size === null ? '' : formatSize(step.size)}</td>
    </tr>
  );
}
