import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { AirlockClient, IAuditRecord } from './api';
import { messageOf } from './request';

/**
 * How many records the Activity section asks for at a time.
 */
const LIMIT = 200;

/**
 * Fields every record has; the others are the action's inputs.
 */
const COMMON = ['time', 'user', 'user_name', 'action', 'result'];

/**
 * An action of the audit trail in words ("profile switch" for `profile-apply`); an
 * action this version does not know keeps its name.
 */
export function actionLabel(action: string, trans: TranslationBundle): string {
  const labels: { [action: string]: string } = {
    'profile-apply': trans.__('profile switch'),
    'profile-revert': trans.__('profile revert'),
    copy: trans.__('copy'),
    plan: trans.__('install plan'),
    install: trans.__('install'),
    rollback: trans.__('roll back'),
    'create-kernel': trans.__('kernel creation'),
    'remove-kernel': trans.__('kernel removal'),
    'profile-doctor': trans.__('mirror doctor'),
    'dmz-request': trans.__('DMZ request')
  };
  return labels[action] ?? action;
}

/**
 * Why an action was refused or failed, as the user was told (empty when it was not, or the
 * server did not record why).
 */
export function recordReasons(record: IAuditRecord): string[] {
  const reasons = record.reasons;
  return Array.isArray(reasons)
    ? reasons.filter(
        (reason): reason is string => typeof reason === 'string' && !!reason
      )
    : [];
}

/**
 * Whether a result means it worked (`ok`), did not (`failed`), or neither (`other`:
 * cancelled).
 */
export function resultKind(result: string): 'ok' | 'failed' | 'other' {
  if (result === 'succeeded' || result === 'ok') {
    return 'ok';
  }
  if (result === 'cancelled') {
    return 'other';
  }
  return 'failed';
}

/**
 * The inputs of a record on one line: what was switched to, copied where, planned or
 * installed into which kernel.
 */
export function summarizeRecord(
  record: IAuditRecord,
  trans: TranslationBundle
): string {
  const text = (name: string) => {
    const value = record[name];
    return typeof value === 'string' && value ? value : null;
  };
  const texts = (name: string) => {
    const value = record[name];
    return Array.isArray(value)
      ? value.filter((item): item is string => typeof item === 'string')
      : [];
  };
  switch (record.action) {
    case 'profile-apply': {
      const request = record.request as
        { name?: unknown; profile?: { name?: unknown } } | undefined;
      const name =
        text('profile') ?? request?.name ?? request?.profile?.name ?? null;
      return typeof name === 'string'
        ? trans.__('to %1', name)
        : trans.__('to no profile');
    }
    case 'profile-revert': {
      const profile = text('profile');
      return profile
        ? trans.__('back to %1', profile)
        : trans.__('back to no profile');
    }
    case 'copy':
      return trans.__(
        '%1 → %2',
        text('key') ?? '?',
        text('destination') ?? '?'
      );
    case 'plan': {
      const items = [
        ...texts('requirements'),
        ...texts('keys'),
        ...texts('paths')
      ];
      return trans.__('%1 into %2', items.join(', '), text('kernel') ?? '?');
    }
    case 'install': {
      const files = Array.isArray(record.files)
        ? (record.files as { name?: unknown; version?: unknown }[])
        : [];
      const packages = files.map(file =>
        [file.name, file.version].filter(part => part).join(' ')
      );
      return trans.__('%1 into %2', packages.join(', '), text('kernel') ?? '?');
    }
    case 'rollback':
      return trans.__('in %1', text('prefix') ?? '?');
    case 'create-kernel':
      return trans.__('%1 from %2', text('kernel') ?? '?', text('key') ?? '?');
    case 'remove-kernel':
      return text('kernel') ?? '?';
    case 'profile-doctor':
      return trans.__('of %1', text('profile') ?? '?');
    case 'dmz-request':
      return trans.__(
        '%1 for %2 (%3)',
        texts('missing').join(', '),
        text('kernel') ?? '?',
        text('stored') ?? trans.__('to download')
      );
  }
  // An action of a newer server: its plain inputs, name=value.
  return Object.entries(record)
    .filter(([name]) => !COMMON.includes(name))
    .filter(([, value]) =>
      ['string', 'number', 'boolean'].includes(typeof value)
    )
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/**
 * The Activity section's state: the audit trail as the server keeps it (newest first),
 * filtered by action and by user. No rendering here.
 */
export class AuditModel {
  constructor(readonly client: AirlockClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The records that match the filters, newest first (at most a page of them).
   */
  get records(): IAuditRecord[] {
    return this._records;
  }

  /**
   * How many records match the filters, also those past the page.
   */
  get total(): number {
    return this._total;
  }

  /**
   * Every action of the whole trail, to filter by.
   */
  get actions(): string[] {
    return this._actions;
  }

  /**
   * Every user of the whole trail, to filter by.
   */
  get users(): string[] {
    return this._users;
  }

  /**
   * A user as people know them: the name the identity provider gave for that id (the
   * server records it with each record, this page knows its own), or the id itself when
   * neither says (records of an older server).
   */
  nameOf(user: string): string {
    return this._names.get(user) ?? user;
  }

  /**
   * Learn the readable name of a user id (the identity provider's, for this page's user).
   */
  setName(user: string, name: string): void {
    if (name && this._names.get(user) !== name) {
      this._names.set(user, name);
      this._changed.emit();
    }
  }

  /**
   * The action shown ('' for all).
   */
  get action(): string {
    return this._action;
  }

  /**
   * The user shown ('' for all).
   */
  get user(): string {
    return this._user;
  }

  /**
   * Whether the records have been asked for at least once.
   */
  get loaded(): boolean {
    return this._loaded;
  }

  get loading(): boolean {
    return this._loading;
  }

  /**
   * The last failure to read the trail, ready to show; null once it loads again.
   */
  get error(): string | null {
    return this._error;
  }

  async setAction(action: string): Promise<void> {
    this._action = action;
    await this.refresh();
  }

  async setUser(user: string): Promise<void> {
    this._user = user;
    await this.refresh();
  }

  /**
   * Read the trail again. Never throws: a failure lands in `error`.
   */
  async refresh(): Promise<void> {
    const round = ++this._round;
    this._loading = true;
    this._changed.emit();
    try {
      const page = await this.client.getAudit({
        action: this._action,
        user: this._user,
        limit: LIMIT
      });
      if (round !== this._round) {
        return; // a later question is on its way
      }
      this._records = page.records;
      for (const record of page.records) {
        if (record.user_name) {
          this._names.set(record.user, record.user_name);
        }
      }
      this._total = page.total;
      this._actions = page.actions;
      this._users = page.users;
      this._error = null;
    } catch (reason) {
      if (round === this._round) {
        this._error = messageOf(reason);
      }
    } finally {
      if (round === this._round) {
        this._loaded = true;
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  private _records: IAuditRecord[] = [];
  private _total = 0;
  private _actions: string[] = [];
  private _users: string[] = [];
  private _action = '';
  private _user = '';
  private _loaded = false;
  private _loading = false;
  private _error: string | null = null;
  private _round = 0;
  private _names = new Map<string, string>();
  private _changed = new Signal<this, void>(this);
}
