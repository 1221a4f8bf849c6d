import { ISignal, Signal } from '@lumino/signaling';
import { Poll } from '@lumino/polling';

import { AirlockClient, IJob } from './api';
import { messageOf } from './request';

const POLL_INTERVAL = 500;

/**
 * Every job of the server (copies, installs, roll backs), newest first, kept up to date
 * while any of them is queued or running. The server keeps the jobs, so the list
 * survives a page reload.
 */
export class JobsModel {
  constructor(readonly client: AirlockClient) {
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: { interval: POLL_INTERVAL, backoff: true, max: 10000 },
      name: 'jupyterlab-airlock:jobs',
      // Ask the server only while something can change.
      standby: () => (this._active() ? 'when-hidden' : true)
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted once for each job seen queued or running here that has since ended.
   */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /**
   * The jobs, newest first; a watched job comes with its whole log.
   */
  get jobs(): IJob[] {
    return this._listed.map(job => this._best(job));
  }

  /**
   * The last failure to reach the jobs, ready to show; null once they load again.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Why the last cancel or roll back of a job was refused, until the next one or
   * `dismissRefusal()`.
   */
  get refusal(): { job: string; message: string } | null {
    return this._refusal;
  }

  dismissRefusal(): void {
    this._refusal = null;
    this._changed.emit();
  }

  /**
   * The roll back of this install started here, as last seen, if any.
   */
  rollbackOf(id: string): IJob | null {
    const rollback = this._rollbacks.get(id);
    return rollback === undefined ? null : (this.job(rollback) ?? null);
  }

  job(id: string): IJob | undefined {
    const listed = this._listed.find(job => job.id === id);
    return listed && this._best(listed);
  }

  /**
   * Ask the server for the jobs now.
   */
  async refresh(): Promise<void> {
    void this._poll.start();
    try {
      await this._fetch();
    } catch {
      // `error` says what went wrong.
    }
  }

  /**
   * Show a job the server has just accepted, and follow it.
   */
  add(job: IJob): void {
    if (!this._listed.some(known => known.id === job.id)) {
      this._listed = [job, ...this._listed];
    }
    this._noteStates([job]);
    this._changed.emit();
    void this._poll.refresh();
  }

  /**
   * Keep the whole log of a job (not only its tail) until the returned function is
   * called.
   */
  watch(id: string): () => void {
    this._watched.set(id, (this._watched.get(id) ?? 0) + 1);
    void this._fetchFull(id);
    let watching = true;
    return () => {
      if (!watching) {
        return;
      }
      watching = false;
      const count = (this._watched.get(id) ?? 1) - 1;
      if (count > 0) {
        this._watched.set(id, count);
      } else {
        this._watched.delete(id);
        this._full.delete(id);
      }
    };
  }

  async cancel(id: string): Promise<void> {
    this._refusal = null;
    try {
      this._update([await this.client.cancelJob(id)]);
    } catch (reason) {
      this._refusal = { job: id, message: messageOf(reason) };
      this._changed.emit();
    }
  }

  /**
   * Undo a succeeded install. When the server cannot (it lacks files), `refusal` says
   * which files it would need.
   */
  async rollback(id: string): Promise<IJob | null> {
    this._refusal = null;
    try {
      const job = await this.client.rollback(id);
      this._rollbacks.set(id, job.id);
      this.add(job);
      return job;
    } catch (reason) {
      this._refusal = { job: id, message: messageOf(reason) };
      this._changed.emit();
      // It may have been rolled back elsewhere: show the install as the server has it.
      void this._poll.refresh();
      return null;
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _best(listed: IJob): IJob {
    const full = this._full.get(listed.id);
    if (!full) {
      return listed;
    }
    if (listed.finished) {
      // The list may be newer than the whole log fetched a moment before it, and an
      // ended job's result still changes (a roll back marks its install).
      return full.finished ? { ...listed, log: full.log } : listed;
    }
    return full;
  }

  private _active(): boolean {
    return this._listed.some(job => !job.finished);
  }

  /**
   * One round: the list, and the whole log of each watched job that is still going.
   */
  private async _fetch(): Promise<void> {
    const round = ++this._round;
    const watched = [...this._watched.keys()].filter(
      id => !this.job(id)?.finished
    );
    let listed: IJob[];
    let full: IJob[];
    try {
      [listed, full] = await Promise.all([
        this.client.listJobs(),
        Promise.all(watched.map(id => this.client.getJob(id)))
      ]);
    } catch (reason) {
      if (round > this._applied) {
        this._error = messageOf(reason);
        this._changed.emit();
      }
      throw reason;
    }
    if (round <= this._applied || this.isDisposed) {
      return; // a later round already answered
    }
    this._applied = round;
    this._error = null;
    this._listed = listed;
    this._update(full);
  }

  private async _fetchFull(id: string): Promise<void> {
    try {
      this._update([await this.client.getJob(id)]);
    } catch (reason) {
      this._error = messageOf(reason);
      this._changed.emit();
    }
  }

  /**
   * Take in newer states of some jobs (whole ones for watched jobs), then signal.
   */
  private _update(jobs: IJob[]): void {
    if (this.isDisposed) {
      return;
    }
    // A job never starts again once it has ended: an answer saying so is an old one.
    const newer = (known: IJob | undefined, job: IJob) =>
      !known?.finished || !!job.finished;
    for (const job of jobs) {
      if (this._watched.has(job.id) && newer(this._full.get(job.id), job)) {
        this._full.set(job.id, job);
      }
      this._listed = this._listed.map(known =>
        known.id === job.id && newer(known, job) ? job : known
      );
    }
    this._noteStates(this.jobs);
    this._changed.emit();
  }

  private _noteStates(jobs: IJob[]): void {
    for (const job of jobs) {
      if (!job.finished) {
        this._going.add(job.id);
      } else if (this._going.delete(job.id)) {
        this._finished.emit(job);
      }
    }
  }

  private _poll: Poll;
  private _listed: IJob[] = [];
  private _full = new Map<string, IJob>();
  private _watched = new Map<string, number>();
  private _going = new Set<string>();
  /**
   * Installs rolled back from here, with their roll-back job.
   */
  private _rollbacks = new Map<string, string>();
  private _round = 0;
  private _applied = 0;
  private _error: string | null = null;
  private _refusal: { job: string; message: string } | null = null;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}
