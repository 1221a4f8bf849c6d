import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, UseSignal } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import {
  AirlockClient,
  IAuditRecord,
  IDmzRequestAnswer,
  IInstallPlan
} from '../api';
import { messageOf } from '../request';

/**
 * Asking the DMZ for what one plan lacks: the request the server wrote, or why it could
 * not. No rendering here.
 */
export class DmzRequestModel {
  constructor(
    readonly client: AirlockClient,
    readonly plan: IInstallPlan
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get answer(): IDmzRequestAnswer | null {
    return this._answer;
  }

  get error(): string | null {
    return this._error;
  }

  get busy(): boolean {
    return this._busy;
  }

  /**
   * Whether there is anything to ask for: the plan lacks packages.
   */
  get wanted(): boolean {
    return this.plan.missing.length > 0;
  }

  /**
   * Have the server write the request (and store it where the admin said).
   */
  async ask(): Promise<void> {
    this._busy = true;
    this._error = null;
    this._changed.emit();
    try {
      this._answer = await this.client.requestFromDmz(this.plan.id);
    } catch (reason) {
      this._error = messageOf(reason);
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  private _answer: IDmzRequestAnswer | null = null;
  private _error: string | null = null;
  private _busy = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The request as the user saves it: the document, readable.
 */
export function requestText(answer: IDmzRequestAnswer): string {
  return JSON.stringify(answer.document, null, 1) + '\n';
}

/**
 * Under a plan that lacks packages: "Request from the DMZ", then the request (where it
 * went, to download) and the one command to run in the DMZ.
 */
export function DmzRequest(props: {
  plan: IInstallPlan;
  client: AirlockClient;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { plan, client, trans } = props;
  const model = React.useMemo(
    () => new DmzRequestModel(client, plan),
    [client, plan]
  );
  return <DmzRequestView model={model} trans={trans} />;
}

export function DmzRequestView(props: {
  model: DmzRequestModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  if (!model.wanted) {
    return null;
  }
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div
          className="jp-Airlock-dmzRequest"
          data-testid="airlock-dmz-request"
        >
          {model.answer ? (
            <DmzRequestAnswer answer={model.answer} trans={trans} />
          ) : (
            <div className="jp-Airlock-row">
              <Button
                className="jp-mod-styled"
                disabled={model.busy}
                onClick={() => void model.ask()}
              >
                {model.busy
                  ? trans.__('Writing the request…')
                  : trans.__('Request from the DMZ')}
              </Button>
              <span className="jp-Airlock-muted">
                {trans.__(
                  'Writes what is missing, for this kernel and beside what it has, for one command in the DMZ.'
                )}
              </span>
            </div>
          )}
          {model.error && (
            <div className="jp-Airlock-error" role="alert">
              {model.error}
            </div>
          )}
        </div>
      )}
    </UseSignal>
  );
}

/**
 * The request written: where it is, a download, and the command to copy.
 */
export function DmzRequestAnswer(props: {
  answer: IDmzRequestAnswer;
  trans: TranslationBundle;
}): JSX.Element {
  const { answer, trans } = props;
  const short = answer.id.slice(0, 8);
  return (
    <>
      <p className={answer.stored ? 'jp-Airlock-ok' : undefined}>
        {answer.stored
          ? trans.__('Request %1 written to %2.', short, answer.stored)
          : trans.__(
              'Request %1 is ready: download it and take it to the DMZ.',
              short
            )}
      </p>
      {answer.problem && (
        <div className="jp-Airlock-warning" role="alert">
          {trans.__(
            'It could not be stored for the DMZ (%1); download it instead.',
            answer.problem
          )}
        </div>
      )}
      <p>{trans.__('In the DMZ, beside the request, run:')}</p>
      <pre
        className="jp-Airlock-log"
        data-testid="airlock-dmz-command"
        aria-label={trans.__('Command for the DMZ')}
      >
        {answer.command}
      </pre>
      <div className="jp-Airlock-row">
        <Button
          small
          className="jp-Airlock-secondary"
          onClick={() => Clipboard.copyToSystem(answer.command)}
        >
          {trans.__('Copy command')}
        </Button>
        <Button
          small
          className="jp-Airlock-secondary"
          onClick={() => download(answer)}
        >
          {trans.__('Download %1', answer.file_name)}
        </Button>
      </div>
      {answer.document.conda && !answer.document.conda.channels?.length && (
        <p>
          {trans.__(
            'This kernel was not made from an Airlock conda bundle, so the request names no conda channel: add --channel URL with the DMZ’s conda channel.'
          )}
        </p>
      )}
      <p className="jp-Airlock-muted">
        {trans.__(
          'Add --upload s3://BUCKET/PREFIX and --sign-key KEY as for any bundle. Once the bundle has passed into the source, plan again: the plan links it to this request.'
        )}
      </p>
    </>
  );
}

function download(answer: IDmzRequestAnswer): void {
  const blob = new Blob([requestText(answer)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = answer.file_name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/**
 * The bundles a plan's packages come from that answer DMZ requests.
 */
export function Deliveries(props: {
  plan: IInstallPlan;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { plan, trans } = props;
  if (plan.delivered.length === 0) {
    return null;
  }
  return (
    <ul className="jp-Airlock-deliveries" aria-label={trans.__('Deliveries')}>
      {plan.delivered.map(delivery => (
        <li
          key={`${delivery.request} ${delivery.bundle}`}
          className="jp-Airlock-ok"
          data-testid="airlock-plan-delivered"
          data-request={delivery.request}
        >
          {trans.__(
            'Delivered for DMZ request %1 by the bundle %2: %3',
            delivery.request.slice(0, 8),
            delivery.bundle,
            delivery.packages.join(', ')
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * One DMZ request's life, as the audit trail tells it.
 */
export interface IRequestLife {
  id: string;
  kernel: string;
  missing: string[];
  asked: string;
  delivered: string | null;
  installed: string | null;
}

/**
 * Each request asked in `records` (any order) with when it was asked, first delivered
 * (a plan took packages from its bundle) and first installed; newest request first.
 */
export function requestLives(records: IAuditRecord[]): IRequestLife[] {
  const byTime = [...records].sort((a, b) => a.time.localeCompare(b.time));
  const lives: IRequestLife[] = [];
  for (const record of byTime) {
    if (record.action === 'dmz-request' && record.result === 'ok') {
      lives.push({
        id: String(record.dmz_request),
        kernel: String(record.kernel ?? ''),
        missing: Array.isArray(record.missing)
          ? record.missing.map(String)
          : [],
        asked: record.time,
        delivered: null,
        installed: null
      });
    }
  }
  for (const record of byTime) {
    const answered = Array.isArray(record.dmz_requests)
      ? record.dmz_requests.map(String)
      : [];
    for (const life of lives.filter(life => answered.includes(life.id))) {
      if (record.action === 'plan' && life.delivered === null) {
        life.delivered = record.time;
      }
      if (
        record.action === 'install' &&
        record.result === 'succeeded' &&
        life.installed === null
      ) {
        life.installed = record.time;
      }
    }
  }
  return lives.reverse();
}

/**
 * In the Activity view: each DMZ request of the records shown, asked → delivered →
 * installed.
 */
export function RequestLife(props: {
  records: IAuditRecord[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { records, trans } = props;
  const lives = requestLives(records);
  if (lives.length === 0) {
    return null;
  }
  const time = (value: string) => new Date(value).toLocaleString();
  return (
    <ul
      className="jp-Airlock-requestLives"
      aria-label={trans.__('DMZ requests')}
    >
      {lives.map(life => (
        <li
          key={life.id}
          data-testid="airlock-request-life"
          data-request={life.id}
          data-stage={
            life.installed
              ? 'installed'
              : life.delivered
                ? 'delivered'
                : 'asked'
          }
        >
          <strong>
            {trans.__(
              'DMZ request %1 (%2 for %3)',
              life.id.slice(0, 8),
              life.missing.join(', '),
              life.kernel
            )}
          </strong>
          {': '}
          {[
            trans.__('asked %1', time(life.asked)),
            life.delivered === null
              ? trans.__('not delivered yet')
              : trans.__('delivered %1', time(life.delivered)),
            life.installed === null
              ? trans.__('not installed yet')
              : trans.__('installed %1', time(life.installed))
          ].join(' → ')}
        </li>
      ))}
    </ul>
  );
}
