import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import type { IArtifactPage } from './api';
import type { IInstallOptions } from './install';
import type { AirlockModel } from './model';

/**
 * Command ids of the Airlock extension.
 */
export namespace CommandIDs {
  export const openPanel = 'airlock:open-panel';
  export const refresh = 'airlock:refresh';
  export const install = 'airlock:install';
  export const installFile = 'airlock:install-file';
  export const openView = 'airlock:open-view';
}

/**
 * The id of the plugin that provides IAirlock, and of Airlock's settings (schema/plugin.json
 * is keyed to it: the profiles, the active profile, the guide).
 */
export const PLUGIN_ID = 'jupyterlab-airlock:plugin';

/**
 * The id of the Airlock side panel (also its key in the layout restorer).
 */
export const PANEL_ID = 'jp-airlock-panel';

/**
 * The main-area views of Airlock, each opened once and brought to the front after.
 */
export type AirlockViewName =
  'artifacts' | 'environments' | 'jobs' | 'activity';

/**
 * The user guide, which the panel's Help link opens.
 */
export const USER_GUIDE_URL =
  'https://github.com/airlock/jupyterlab-airlock/blob/main/docs/user-guide.md#user-guide';

/**
 * What another extension may ask of the read bucket: one page of one of its folders.
 */
export interface IAirlockCatalog {
  /**
   * One page of a folder of the active profile's artifact source (a bucket or a folder),
   * narrowed by `filter` (the start of names); `cursor` is the last page's `next`.
   */
  list(options: {
    prefix?: string;
    cursor?: string | null;
    filter?: string;
    limit?: number;
  }): Promise<IArtifactPage>;
}

/**
 * Airlock for other extensions: the active mirror profile and its changes, the catalog of
 * the read bucket, and installs.
 */
export interface IAirlock {
  /**
   * The name of the active mirror profile; null when none is active or before the server
   * answered.
   */
  readonly activeProfile: string | null;

  /**
   * Emitted with the new name after the active profile was switched or reverted on the
   * server (from the panel, the Settings Editor or `airlock:` commands).
   */
  readonly activeProfileChanged: ISignal<IAirlock, string | null>;

  /**
   * The read bucket of the active profile.
   */
  readonly catalog: IAirlockCatalog;

  /**
   * Open the install dialog with these packages for this kernel (by default the current
   * notebook's); it plans at once, and the user reviews the plan before anything is
   * installed. Resolves once the dialog is in front.
   */
  install(options: IInstallOptions): Promise<void>;
}

/**
 * The Airlock service other extensions require (`requires: [IAirlock]`).
 */
export const IAirlock = new Token<IAirlock>(
  'jupyterlab-airlock:IAirlock',
  'The active mirror profile and its changes, the read bucket’s catalog, and installs.'
);

/**
 * The panel's model, shared by this package's plugins only (not part of the public API:
 * other extensions use IAirlock).
 */
export const IAirlockModel = new Token<AirlockModel>(
  'jupyterlab-airlock:IAirlockModel',
  'The state behind the Airlock panel, for the Airlock plugins.'
);
