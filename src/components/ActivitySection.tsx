import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IAuditRecord } from '../api';
import {
  actionLabel,
  AuditModel,
  recordReasons,
  resultKind,
  summarizeRecord
} from '../audit';
import { RequestLife } from './DmzRequest';

/**
 * The Activity section: the audit trail, newest first, filtered by action and user; each
 * record on one line, opening to all it recorded.
 */
export function ActivitySection(props: {
  model: AuditModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="jp-Airlock-activity" data-testid="airlock-activity">
          <div className="jp-Airlock-row">
            <HTMLSelect
              aria-label={trans.__('Action to show')}
              value={model.action}
              onChange={event =>
                void model.setAction(event.currentTarget.value)
              }
              options={[
                { label: trans.__('All actions'), value: '' },
                ...choices(model.actions, model.action).map(action => ({
                  label: actionLabel(action, trans),
                  value: action
                }))
              ]}
            />
            <HTMLSelect
              aria-label={trans.__('User to show')}
              value={model.user}
              onChange={event => void model.setUser(event.currentTarget.value)}
              options={[
                { label: trans.__('All users'), value: '' },
                ...choices(model.users, model.user).map(user => ({
                  label: model.nameOf(user),
                  value: user
                }))
              ]}
            />
          </div>
          {model.error && (
            <div className="jp-Airlock-error" role="alert">
              {model.error}
            </div>
          )}
          <RequestLife records={model.records} trans={trans} />
          {model.records.length === 0 ? (
            <p className="jp-Airlock-empty">
              {!model.loaded
                ? trans.__('Loading…')
                : model.action || model.user
                  ? trans.__('No record matches these filters.')
                  : trans.__('Nothing recorded yet.')}
            </p>
          ) : (
            <ul
              className="jp-Airlock-activityList"
              aria-label={trans.__('Audit records')}
            >
              {model.records.map((record, index) => (
                <ActivityItem
                  // Counted from the oldest, so a new record does not shift the others.
                  key={`${record.time} ${model.total - index}`}
                  record={record}
                  who={model.nameOf(record.user)}
                  trans={trans}
                />
              ))}
            </ul>
          )}
          {model.total > model.records.length && (
            <p className="jp-Airlock-muted">
              {trans.__(
                'The latest %1 of %2 records.',
                model.records.length,
                model.total
              )}
            </p>
          )}
        </div>
      )}
    </UseSignal>
  );
}

/**
 * The values to offer, with the chosen one even when the trail no longer has it.
 */
function choices(values: string[], chosen: string): string[] {
  return chosen && !values.includes(chosen) ? [chosen, ...values] : values;
}

function ActivityItem(props: {
  record: IAuditRecord;
  /**
   * The user, by name.
   */
  who: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { record, who, trans } = props;
  const summary = summarizeRecord(record, trans);
  const kind = resultKind(record.result);
  const classes = {
    ok: 'jp-Airlock-ok',
    failed: 'jp-Airlock-failed',
    other: 'jp-Airlock-muted'
  };
  return (
    <li
      className="jp-Airlock-activityItem"
      data-testid="airlock-activity-record"
      data-action={record.action}
      data-result={record.result}
    >
      <details>
        <summary>
          <span className="jp-Airlock-activityHead">
            <strong className="jp-Airlock-activityAction">
              {actionLabel(record.action, trans)}
            </strong>
            <span className={`jp-Airlock-activityResult ${classes[kind]}`}>
              {record.result}
            </span>
          </span>
          <span className="jp-Airlock-activitySummary" title={summary}>
            {summary}
          </span>
          {recordReasons(record).map(reason => (
            <span
              key={reason}
              className="jp-Airlock-activityReason"
              data-testid="airlock-activity-reason"
            >
              {reason}
            </span>
          ))}
          <span
            className="jp-Airlock-muted jp-Airlock-activityWho"
            title={record.user}
          >
            {trans.__('%1 · %2', formatTime(record.time), who)}
          </span>
        </summary>
        <pre
          className="jp-Airlock-log"
          tabIndex={0}
          aria-label={trans.__('Audit record')}
        >
          {JSON.stringify(record, null, 2)}
        </pre>
      </details>
    </li>
  );
}

function formatTime(time: string): string {
  const date = new Date(time);
  return isNaN(date.getTime())
    ? time
    : date.toLocaleString(undefined, {
        dateStyle: 'short',
        timeStyle: 'medium'
      });
}
