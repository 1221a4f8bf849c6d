import { Kernel } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  AirlockClient,
  IInstallPlan,
  IInstallRequest,
  IInstallResult,
  IInstallStep,
  IJob
} from './api';
import { AirlockRequestError, messageOf } from './request';

/**
 * File names the installer takes from the workspace: wheels, sdists and conda packages.
 */
const INSTALLABLE = ['.whl', '.tar.gz', '.zip', '.tar.bz2', '.conda'];

/**
 * Whether a file of the workspace can be installed into a kernel.
 */
export function isInstallable(path: string): boolean {
  const name = path.toLowerCase();
  return INSTALLABLE.some(suffix => name.endsWith(suffix));
}

/**
 * The requirements typed by the user, one a line; blank lines and `#` comments dropped.
 */
export function parseRequirements(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.replace(/#.*/, '').trim())
    .filter(line => line.length > 0);
}

/**
 * What a step does to the package, in words: "upgrade 1.0 → 2.0".
 */
export function describeAction(
  step: Pick<IInstallStep, 'action' | 'installed' | 'version'>,
  trans: TranslationBundle
): string {
  switch (step.action) {
    case 'install':
      return trans.__('install');
    case 'upgrade':
      return trans.__('upgrade %1 → %2', step.installed ?? '', step.version);
    case 'downgrade':
      return trans.__('downgrade %1 → %2', step.installed ?? '', step.version);
    case 'reinstall':
      return trans.__('reinstall %1', step.version);
  }
}

/**
 * The running kernels that use an environment an install changed (`result.kernels`
 * names the kernelspecs that share it).
 */
export function kernelsToRestart(
  running: Iterable<Kernel.IModel>,
  kernelNames: readonly string[]
): Kernel.IModel[] {
  return Array.from(running).filter(kernel =>
    kernelNames.includes(kernel.name)
  );
}

/**
 * The result of a succeeded install job, or null for any other job.
 */
export function installResult(job: IJob): IInstallResult | null {
  return job.kind === 'install' && job.state === 'succeeded' && job.result
    ? (job.result as IInstallResult)
    : null;
}

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
   * Why the last cancel or roll back of a job was refused, until the next one.
   */
  get refusal(): { job: string; message: string } | null {
    return this._refusal;
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
      this.add(job);
      return job;
    } catch (reason) {
      this._refusal = { job: id, message: messageOf(reason) };
      this._changed.emit();
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
    // The list may be newer than the whole log fetched a moment before it.
    return full && (full.finished || !listed.finished) ? full : listed;
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
  private _round = 0;
  private _applied = 0;
  private _error: string | null = null;
  private _refusal: { job: string; message: string } | null = null;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}

/**
 * What to install where, when the install dialog opens.
 */
export interface IInstallOptions {
  kernel?: string | null;
  keys?: string[];
  paths?: string[];
  requirements?: string[];
}

/**
 * One install dialog: the kernel, what to install, the plan, then the job carrying it
 * out. Nothing changes in the environment before `install()`.
 */
export class InstallModel {
  constructor(
    readonly client: AirlockClient,
    readonly jobs: JobsModel,
    options: IInstallOptions = {}
  ) {
    this._kernel = options.kernel ?? null;
    this._keys = options.keys ?? [];
    this._paths = options.paths ?? [];
    this._requirements = (options.requirements ?? []).join('\n');
    jobs.changed.connect(this._onJobsChanged, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  get kernel(): string | null {
    return this._kernel;
  }

  /**
   * Artifacts of the active source to install, by key.
   */
  get keys(): readonly string[] {
    return this._keys;
  }

  /**
   * Files of the workspace to install, relative to the Jupyter root.
   */
  get paths(): readonly string[] {
    return this._paths;
  }

  /**
   * The requirements as typed, one a line.
   */
  get requirements(): string {
    return this._requirements;
  }

  /**
   * What a plan would be asked for; null while there is no kernel or nothing to install.
   */
  get request(): IInstallRequest | null {
    const requirements = parseRequirements(this._requirements);
    if (
      !this._kernel ||
      requirements.length + this._keys.length + this._paths.length === 0
    ) {
      return null;
    }
    return {
      kernel: this._kernel,
      requirements,
      keys: [...this._keys],
      paths: [...this._paths]
    };
  }

  /**
   * The plan for the current choices; null before planning and after any change.
   */
  get plan(): IInstallPlan | null {
    return this._plan;
  }

  get planning(): boolean {
    return this._planning;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * The job carrying out the plan, as last seen.
   */
  get job(): IJob | null {
    return this._jobId ? (this.jobs.job(this._jobId) ?? null) : null;
  }

  /**
   * Whether the plan can be carried out now: it is possible and not carried out yet.
   */
  get canInstall(): boolean {
    return !!this._plan?.ok && !this._spent && !this.busy;
  }

  /**
   * Whether an install has been started and has not ended.
   */
  get busy(): boolean {
    const job = this.job;
    return this._starting || (job !== null && !job.finished);
  }

  setKernel(name: string | null): void {
    this._kernel = name;
    this._changedChoice();
  }

  setRequirements(text: string): void {
    this._requirements = text;
    this._changedChoice();
  }

  /**
   * Leave an artifact or a workspace file out.
   */
  remove(item: string): void {
    this._keys = this._keys.filter(key => key !== item);
    this._paths = this._paths.filter(path => path !== item);
    this._changedChoice();
  }

  /**
   * Ask the server what installing would do. Never throws: a refusal lands in `error`.
   */
  async makePlan(): Promise<IInstallPlan | null> {
    const request = this.request;
    if (!request || this.busy) {
      return null;
    }
    const generation = ++this._generation;
    this._planning = true;
    this._plan = null;
    this._spent = false;
    this._error = null;
    // A new plan starts afresh: the last install's job stays in the job list.
    this._unwatch?.();
    this._unwatch = null;
    this._jobId = null;
    this._changed.emit();
    try {
      const plan = await this.client.planInstall(request);
      if (generation === this._generation) {
        this._plan = plan;
      }
    } catch (reason) {
      if (generation === this._generation) {
        this._error = messageOf(reason);
      }
    } finally {
      if (generation === this._generation) {
        this._planning = false;
        this._changed.emit();
      }
    }
    return generation === this._generation ? this._plan : null;
  }

  /**
   * Carry out the plan as a job; the job list follows it from there.
   */
  async install(): Promise<IJob | null> {
    const plan = this._plan;
    if (!plan || !this.canInstall) {
      return null;
    }
    this._starting = true;
    this._error = null;
    this._changed.emit();
    try {
      const job = await this.client.install(plan.id);
      this._spent = true; // the server carries a plan out once
      this._jobId = job.id;
      this._unwatch?.();
      this._unwatch = this.jobs.watch(job.id);
      this.jobs.add(job);
      return job;
    } catch (reason) {
      this._error = messageOf(reason);
      if (
        reason instanceof AirlockRequestError &&
        (reason.status === 404 || reason.status === 409)
      ) {
        // The plan expired or no longer holds: the user plans again.
        this._plan = null;
      }
      return null;
    } finally {
      this._starting = false;
      this._changed.emit();
    }
  }

  async cancel(): Promise<void> {
    if (this._jobId) {
      await this.jobs.cancel(this._jobId);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._unwatch?.();
    Signal.clearData(this);
  }

  private _changedChoice(): void {
    this._generation += 1; // a plan on its way no longer answers the question
    this._plan = null;
    this._planning = false;
    this._error = null;
    this._changed.emit();
  }

  private _onJobsChanged(): void {
    if (this._jobId) {
      this._changed.emit();
    }
  }

  private _kernel: string | null;
  private _keys: string[];
  private _paths: string[];
  private _requirements: string;
  private _plan: IInstallPlan | null = null;
  private _planning = false;
  private _starting = false;
  private _spent = false;
  private _error: string | null = null;
  private _jobId: string | null = null;
  private _unwatch: (() => void) | null = null;
  private _generation = 0;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
