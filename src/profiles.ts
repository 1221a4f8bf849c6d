import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import {
  AirlockClient,
  IConnectivity,
  IDoctorReport,
  IEffectiveConfig,
  IProfile,
  IProfiles,
  ProfileChoice
} from './api';
import { messageOf } from './request';

/**
 * How long to wait before probing again after a probe failed: the first, second... delay,
 * then the last one again and again.
 */
const RECHECK_DELAYS = [5_000, 10_000, 20_000, 30_000];

/**
 * A profile the user can pick, and whether the admin manages it.
 */
export interface IProfileEntry {
  profile: IProfile;
  managed: boolean;
}

/**
 * The mirror-profiles journey: which profiles exist, which is active, what pip, conda and
 * npm now see, and whether the mirror answers. No rendering here.
 */
export class ProfilesModel {
  constructor(readonly client: AirlockClient) {}

  /**
   * Emitted whenever anything shown about profiles changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the new name after a switch or a revert succeeded on the server.
   */
  get activeChanged(): ISignal<this, string | null> {
    return this._activeChanged;
  }

  get state(): IProfiles | null {
    return this._state;
  }

  get effective(): IEffectiveConfig | null {
    return this._effective;
  }

  get connectivity(): IConnectivity | null {
    return this._connectivity;
  }

  /**
   * The doctor's last report for the active profile; null before it ran or after a switch.
   */
  get doctor(): IDoctorReport | null {
    return this._doctor;
  }

  get doctoring(): boolean {
    return this._doctoring;
  }

  get busy(): boolean {
    return this._busy;
  }

  get checking(): boolean {
    return this._checking;
  }

  /**
   * The last failure of a profiles action, ready to show; null once one succeeds.
   */
  get error(): string | null {
    return this._error;
  }

  get activeName(): string | null {
    return this._state?.active?.name ?? null;
  }

  /**
   * The profiles the user may switch to: the admin's first, then the user's own from the
   * settings (unless the admin locked profiles, or a managed profile has the same name).
   */
  get choices(): IProfileEntry[] {
    const managed = this._state?.managed ?? [];
    const entries: IProfileEntry[] = managed.map(profile => ({
      profile,
      managed: true
    }));
    if (this._state?.locked) {
      return entries;
    }
    const taken = new Set(managed.map(profile => profile.name));
    for (const profile of this._userProfiles) {
      if (!taken.has(profile.name)) {
        taken.add(profile.name);
        entries.push({ profile, managed: false });
      }
    }
    return entries;
  }

  /**
   * The user's own profiles, from JupyterLab's settings.
   */
  setUserProfiles(profiles: IProfile[]): void {
    this._userProfiles = profiles;
    this._changed.emit();
  }

  /**
   * Reload the profiles and the effective configuration. Never throws.
   */
  async refresh(): Promise<void> {
    await this._run(async () => {
      this._state = await this.client.getProfiles();
      this._effective = await this.client.getEffectiveConfig();
    });
  }

  /**
   * Apply the named profile on the server. Resolves to whether it worked.
   */
  async switchTo(name: string): Promise<boolean> {
    const entry = this.choices.find(choice => choice.profile.name === name);
    if (!entry) {
      this._error = `There is no profile named '${name}'.`;
      this._changed.emit();
      return false;
    }
    const choice: ProfileChoice = entry.managed
      ? { name }
      : { profile: entry.profile };
    return this._changeActive(() => this.client.applyProfile(choice));
  }

  /**
   * Undo the latest switch on the server. Resolves to whether it worked.
   */
  async revert(): Promise<boolean> {
    return this._changeActive(() => this.client.revertProfile());
  }

  /**
   * Emitted when every endpoint answers again after a probe had found one unreachable.
   */
  get recovered(): ISignal<this, void> {
    return this._recovered;
  }

  /**
   * Probe the endpoints of the active profile. After a failure the probe runs again on
   * its own, later and later (RECHECK_DELAYS), until every endpoint answers.
   */
  async check(): Promise<void> {
    this._cancelRecheck();
    if (!this.activeName) {
      this._connectivity = null;
      this._changed.emit();
      return;
    }
    const wasFailing = this.failing;
    this._checking = true;
    this._changed.emit();
    try {
      this._connectivity = await this.client.checkProfile();
    } catch (reason) {
      this._error = messageOf(reason);
    } finally {
      this._checking = false;
      this._changed.emit();
    }
    if (this.failing) {
      const delay =
        RECHECK_DELAYS[Math.min(this._rechecks, RECHECK_DELAYS.length - 1)];
      this._rechecks += 1;
      this._recheck = setTimeout(() => void this.check(), delay);
    } else {
      this._rechecks = 0;
      if (wasFailing && this._connectivity) {
        this._recovered.emit();
      }
    }
  }

  /**
   * Whether the last probe found an endpoint that did not answer.
   */
  get failing(): boolean {
    return !!this._connectivity?.results.some(result => !result.ok);
  }

  /**
   * Ask each package tool on the server's machine to reach the active profile's mirror.
   */
  async runDoctor(): Promise<void> {
    this._doctoring = true;
    this._changed.emit();
    try {
      this._doctor = await this.client.runDoctor();
      this._error = null;
    } catch (reason) {
      this._error = messageOf(reason);
    } finally {
      this._doctoring = false;
      this._changed.emit();
    }
  }

  private _cancelRecheck(): void {
    if (this._recheck !== null) {
      clearTimeout(this._recheck);
      this._recheck = null;
    }
  }

  private async _changeActive(
    action: () => Promise<IProfiles>
  ): Promise<boolean> {
    const ok = await this._run(async () => {
      this._state = await action();
      this._cancelRecheck();
      this._rechecks = 0;
      this._connectivity = null;
      this._doctor = null;
      this._effective = await this.client.getEffectiveConfig();
    });
    if (ok) {
      this._activeChanged.emit(this.activeName);
      void this.check();
    }
    return ok;
  }

  private async _run(work: () => Promise<void>): Promise<boolean> {
    this._busy = true;
    this._changed.emit();
    try {
      await work();
      this._error = null;
      return true;
    } catch (reason) {
      this._error = messageOf(reason);
      return false;
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  private _state: IProfiles | null = null;
  private _effective: IEffectiveConfig | null = null;
  private _connectivity: IConnectivity | null = null;
  private _doctor: IDoctorReport | null = null;
  private _doctoring = false;
  private _userProfiles: IProfile[] = [];
  private _busy = false;
  private _checking = false;
  private _error: string | null = null;
  private _recheck: ReturnType<typeof setTimeout> | null = null;
  private _rechecks = 0;
  private _changed = new Signal<this, void>(this);
  private _recovered = new Signal<this, void>(this);
  private _activeChanged = new Signal<this, string | null>(this);
}

/**
 * Keep JupyterLab's settings and the server's active profile in step, so that the panel,
 * the status bar and the Settings Editor always agree: the user's own profiles come from
 * the settings; choosing `activeProfile` in the Settings Editor (its form or its JSON)
 * switches, as the panel's picker does; every switch is saved as `activeProfile`. A
 * choice the server refuses is put back to the active profile and `onRefused` says why.
 *
 * Nothing is decided before the server has answered (`state`), so that an unreachable
 * server never erases the saved choice.
 */
export function syncSettings(
  settings: ISettingRegistry.ISettings,
  profiles: ProfilesModel,
  onRefused: (message: string) => void
): void {
  const saved = () => (settings.composite.activeProfile as string) ?? '';
  const save = (name: string) => {
    if (saved() !== name) {
      settings.set('activeProfile', name).catch(reason => {
        console.error('Airlock could not save the active profile', reason);
      });
    }
  };
  // A change seen while a switch was on its way, followed once the switch ends.
  let pending = false;
  const follow = async () => {
    if (profiles.busy || profiles.state === null) {
      pending = true;
      return;
    }
    pending = false;
    const wanted = saved();
    const active = profiles.activeName ?? '';
    if (wanted === active) {
      return;
    }
    if (!wanted) {
      save(active); // nothing chosen in the settings yet: they show what is active
      return;
    }
    if (!(await profiles.switchTo(wanted))) {
      onRefused(profiles.error ?? '');
      save(profiles.activeName ?? '');
    }
  };
  const onSettingsChanged = () => {
    profiles.setUserProfiles(
      (settings.composite.profiles as unknown as IProfile[] | undefined) ?? []
    );
    void follow();
  };
  settings.changed.connect(onSettingsChanged);
  profiles.changed.connect(() => {
    if (pending && !profiles.busy) {
      void follow();
    }
  });
  profiles.activeChanged.connect((_, name) => save(name ?? ''));
  onSettingsChanged();
}
