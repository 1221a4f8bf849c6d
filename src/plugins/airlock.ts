import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

// The version check runs as the plugin activates.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { handshake } from '../handshake';
import { IInstallOptions } from '../install';
import { AirlockModel } from '../model';
// The settings and the server's active profile are kept in step from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { syncSettings } from '../profiles';
import {
  CommandIDs,
  IAirlock,
  IAirlockCatalog,
  IAirlockModel,
  PLUGIN_ID
} from '../tokens';

/**
 * IAirlock over the panel's model; `install` goes through the install command, so that
 * another extension's install opens the same dialog as the panel's.
 */
class AirlockService implements IAirlock {
  constructor(
    private readonly _model: AirlockModel,
    private readonly _app: JupyterFrontEnd
  ) {
    _model.profiles.activeChanged.connect((_, name) =>
      this._activeProfileChanged.emit(name)
    );
    this.catalog = {
      // A page's `next` is null on the last page; the route takes no cursor then.
      list: ({ cursor, ...query }) =>
        _model.client.listArtifacts({ ...query, cursor: cursor ?? undefined })
    };
  }

  readonly catalog: IAirlockCatalog;

  get activeProfile(): string | null {
    return this._model.profiles.activeName;
  }

  get activeProfileChanged(): ISignal<IAirlock, string | null> {
    return this._activeProfileChanged;
  }

  async install(options: IInstallOptions): Promise<void> {
    // The install plugin adds the command as it activates, possibly after the caller's.
    await this._app.started;
    await this._app.commands.execute(CommandIDs.install, {
      ...(options.kernel ? { kernel: options.kernel } : {}),
      ...(options.keys ? { keys: options.keys } : {}),
      ...(options.paths ? { paths: options.paths } : {}),
      ...(options.requirements ? { requirements: options.requirements } : {})
    });
  }

  private _activeProfileChanged = new Signal<IAirlock, string | null>(this);
}

/**
 * Airlock's service for other extensions (IAirlock), and what keeps the page in step with
 * the server: the version handshake, the first refresh, the profile settings, the kernels
 * after jobs, the user's name in the audit trail, the Refresh command.
 */
export const airlockPlugin: JupyterFrontEndPlugin<IAirlock> = {
  id: PLUGIN_ID,
  description:
    'Mirror profiles, artifact browsing and offline installs for air-gapped workspaces.',
  autoStart: true,
  requires: [IAirlockModel],
  optional: [ITranslator, ISettingRegistry],
  provides: IAirlock,
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null
  ): IAirlock => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    const { serviceManager } = app;

    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Airlock'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });

    // What a job changed in the kernels' environments shows without a refresh.
    model.jobs.finished.connect(async (_, job) => {
      if (job.kind === 'install' || job.kind === 'rollback') {
        void model.refreshEnvironments();
      } else if (job.kind === 'remove-kernel') {
        await serviceManager.kernelspecs.refreshSpecs();
        void model.refreshEnvironments();
      }
    });

    // The audit trail records user ids; this page's user is shown by name.
    void serviceManager.user.ready.then(() => {
      const identity = serviceManager.user.identity;
      if (identity) {
        model.activity.setName(
          identity.username,
          identity.display_name || identity.name
        );
      }
    });

    // Say at once when the server part is missing or another version: after an upgrade,
    // the most common reason why nothing works.
    void handshake(model.client, trans);
    // The first refresh also probes the active profile's endpoints.
    const ready = model.refresh();
    if (settingRegistry) {
      void Promise.all([settingRegistry.load(PLUGIN_ID), ready]).then(
        ([settings]) =>
          syncSettings(settings, model.profiles, message =>
            Notification.error(
              trans.__('The active profile was not switched: %1', message),
              { autoClose: false }
            )
          )
      );
    }
    return new AirlockService(model, app);
  }
};
