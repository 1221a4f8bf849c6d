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
