import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { airlockPlugin } from './plugins/airlock';
import { installPlugin } from './plugins/install';
import { modelPlugin } from './plugins/model';
import { notificationsPlugin } from './plugins/notifications';
import { profileFieldPlugin } from './plugins/profileField';
import { sidebarPlugin } from './plugins/sidebar';
import { statusBarPlugin } from './plugins/statusBar';
import { viewsPlugin } from './plugins/views';

export { IAirlock, IAirlockCatalog, CommandIDs } from './tokens';
export type { IInstallOptions } from './install';
export type { IArtifactPage, IArtifactEntry } from './api';

/**
 * Airlock's plugins. Another extension requires IAirlock (`jupyterlab-airlock:plugin`,
 * which also owns the settings); the others build the panel, the views, the install
 * dialog, the status bar item, the settings field and the notifications on the model.
 */
const plugins: JupyterFrontEndPlugin<any>[] = [
  modelPlugin,
  airlockPlugin,
  sidebarPlugin,
  viewsPlugin,
  installPlugin,
  statusBarPlugin,
  profileFieldPlugin,
  notificationsPlugin
];

export default plugins;
