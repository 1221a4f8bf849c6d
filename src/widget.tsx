import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { AirlockPanel } from './components/AirlockPanel';
import { airlockIcon } from './icons';
import { AirlockModel } from './model';
import { AirlockViewName, PANEL_ID } from './tokens';

/**
 * The Lumino widget that hosts the Airlock panel in the left sidebar.
 */
export class AirlockSidebar extends ReactWidget {
  constructor(
    readonly model: AirlockModel,
    private readonly _trans: TranslationBundle,
    private readonly _onOpen: (path: string) => void,
    private readonly _onOpenView: (
      view: AirlockViewName,
      kernel?: string
    ) => void
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-Airlock');
    this.title.icon = airlockIcon;
    this.title.caption = _trans.__('Airlock');
  }

  /**
   * Emitted when the user dismisses the first-run guide (to remember it).
   */
  get guideDismissed(): ISignal<this, void> {
    return this._guideDismissed;
  }

  /**
   * Show the first-run guide, or not.
   */
  showGuide(shown: boolean): void {
    this._guide = shown;
    this.update();
  }

  render(): JSX.Element {
    return (
      <AirlockPanel
        model={this.model}
        trans={this._trans}
        onOpen={this._onOpen}
        onOpenView={this._onOpenView}
        guide={this._guide}
        onDismissGuide={() => {
          this.showGuide(false);
          this._guideDismissed.emit();
        }}
      />
    );
  }

  private _guide = false;
  private _guideDismissed = new Signal<this, void>(this);
}

/**
 * A main-area view of Airlock (Environments, Jobs, Activity): the room the sidebar lacks
 * for tables and logs. `setProps` shows it with other options (another kernel).
 */
export class AirlockView<P> extends ReactWidget {
  constructor(
    private _props: P,
    private readonly _render: (props: P) => JSX.Element
  ) {
    super();
    this.addClass('jp-Airlock-viewWidget');
  }

  setProps(props: P): void {
    this._props = props;
    this.update();
  }

  render(): JSX.Element {
    return this._render(this._props);
  }
}
