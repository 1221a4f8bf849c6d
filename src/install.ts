import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import {
  AirlockClient,
  IInstallPlan,
  IInstallRequest,
  IInstallResult,
  IInstallStep,
  IJob
} from './api';
import { JobsModel } from './jobs';
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
 * The result of a succeeded install job, or null for any other job.
 */
export function installResult(job: IJob): IInstallResult | null {
  return job.kind === 'install' && job.state === 'succeeded' && job.result
    ? job.result
    : null;
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
   * Ask afresh (another request for this kernel while the dialog is idle): what it held,
   * its plan and its last install make way for the new request, so that no old text stays.
   */
  replace(options: IInstallOptions): void {
    this._keys = options.keys ?? [];
    this._paths = options.paths ?? [];
    this._requirements = (options.requirements ?? []).join('\n');
    this._unwatch?.();
    this._unwatch = null;
    this._jobId = null;
    this._spent = false;
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
