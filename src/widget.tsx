import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { AirlockPanel } from './components/AirlockPanel';
import { airlockIcon } from './icons';
import { AirlockModel } from './model';
import { PANEL_ID } from './tokens';

/**
 * The Lumino widget that hosts the Airlock panel in the left sidebar.
 */
export class AirlockSidebar extends ReactWidget {
  constructor(
    readonly model: AirlockModel,
    private readonly _trans: TranslationBundle,
    private readonly _onOpen: (path: string) => void
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-Airlock');
    this.title.icon = airlockIcon;
    this.title.caption = _trans.__('Airlock');
  }

  render(): JSX.Element {
    return (
      <AirlockPanel
        model={this.model}
        trans={this._trans}
        onOpen={this._onOpen}
      />
    );
  }
}
