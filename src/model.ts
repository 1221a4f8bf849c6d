import { KernelSpec } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { AirlockClient, IKernelEnvironment, IStatus } from './api';
import { ArtifactsModel } from './artifacts';
import { IInstallOptions, JobsModel } from './install';
import { ProfilesModel } from './profiles';
import { messageOf } from './request';

/**
 * A kernel as the panel lists it.
 */
export interface IKernelEntry {
  name: string;
  displayName: string;
  language: string;
}

/**
 * The state behind the Airlock panel: the server's status, the kernels, and the last
 * error as a message for the user. No rendering here.
 */
export class AirlockModel {
  constructor(
    readonly client: AirlockClient,
    private readonly _kernelSpecs: KernelSpec.IManager | null = null
  ) {
    this.profiles = new ProfilesModel(client);
    this.profiles.changed.connect(this._emitChanged, this);
    this.artifacts = new ArtifactsModel(client);
    this.jobs = new JobsModel(client);
    // A copy started in the Artifacts section shows in the job list at once.
    this.artifacts.changed.connect(() => {
      const copy = this.artifacts.copyJob;
      if (copy && !this.jobs.job(copy.id)) {
        this.jobs.add(copy);
      }
    });
    // A switch may change the artifact source: show the new one from its root.
    this.profiles.activeChanged.connect(() => void this.artifacts.open(''));
    this._kernelSpecs?.specsChanged.connect(this._emitChanged, this);
  }

  /**
   * The mirror-profiles part of the panel.
   */
  readonly profiles: ProfilesModel;

  /**
   * The artifact browser (it re-renders on its own signal: its rows change often).
   */
  readonly artifacts: ArtifactsModel;

  /**
   * Every job of the server: copies, installs, roll backs (it re-renders on its own
   * signal).
   */
  readonly jobs: JobsModel;

  /**
   * Emitted when a part of the panel asks for the install dialog.
   */
  get installRequested(): ISignal<this, IInstallOptions> {
    return this._installRequested;
  }

  /**
   * Ask for the install dialog (the application opens it).
   */
  requestInstall(options: IInstallOptions): void {
    this._installRequested.emit(options);
  }

  /**
   * Emitted whenever anything the panel shows changes.
   */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get status(): IStatus | null {
    return this._status;
  }

  /**
   * The last failure, ready to show; null after a successful refresh.
   */
  get error(): string | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  /**
   * The environments behind the kernels, as the server resolved them (null until known).
   */
  get environments(): IKernelEnvironment[] | null {
    return this._environments;
  }

  get kernels(): IKernelEntry[] {
    const specs = this._kernelSpecs?.specs?.kernelspecs ?? {};
    return Object.values(specs)
      .filter((spec): spec is KernelSpec.ISpecModel => !!spec)
      .map(spec => ({
        name: spec.name,
        displayName: spec.display_name,
        language: spec.language
      }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /**
   * Ask the server for its status (and the profiles) again. Never throws: a failure lands
   * in `error`.
   */
  async refresh(): Promise<void> {
    this._loading = true;
    this._emitChanged();
    try {
      this._status = await this.client.getStatus();
      this._error = null;
      await this.profiles.refresh();
      void this.refreshEnvironments();
      void this.jobs.refresh();
      if (this.profiles.state?.active?.source) {
        void this.artifacts.open(this.artifacts.prefix);
      }
    } catch (reason) {
      this._error = messageOf(reason);
    } finally {
      this._loading = false;
      this._emitChanged();
    }
  }

  /**
   * Ask the server again what each kernel's environment holds.
   */
  async refreshEnvironments(): Promise<void> {
    try {
      this._environments = await this.client.listKernels();
    } catch (reason) {
      this._error = messageOf(reason);
    }
    this._emitChanged();
  }

  private _emitChanged(): void {
    this._stateChanged.emit();
  }

  private _status: IStatus | null = null;
  private _environments: IKernelEnvironment[] | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _stateChanged = new Signal<this, void>(this);
  private _installRequested = new Signal<this, IInstallOptions>(this);
}
