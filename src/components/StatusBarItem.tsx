import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ProfilesModel } from '../profiles';

/**
 * The status bar item: the active mirror profile and whether its endpoints answered.
 */
export class MirrorStatusItem extends ReactWidget {
  constructor(
    private readonly _model: ProfilesModel,
    private readonly _trans: TranslationBundle,
    private readonly _onClick: () => void
  ) {
    super();
    this.addClass('jp-Airlock-statusItem');
  }

  render(): JSX.Element {
    const trans = this._trans;
    return (
      <UseSignal signal={this._model.changed}>
        {() => {
          const model = this._model;
          const name = model.activeName;
          const results = model.connectivity?.results ?? [];
          const failed = results.filter(result => !result.ok);
          let health = '';
          let title = trans.__('Airlock: no mirror profile is active');
          if (name) {
            if (model.checking) {
              health = ' …';
              title = trans.__('Checking the mirror of %1…', name);
            } else if (results.length > 0 && failed.length === 0) {
              health = ' ✓';
              title = trans.__('Every endpoint of %1 answered', name);
            } else if (failed.length > 0) {
              health = ' ✗';
              title = failed
                .map(result => `${result.endpoint}: ${result.cause ?? ''}`)
                .join('\n');
            } else {
              title = trans.__('Mirror profile %1', name);
            }
          }
          return (
            <span
              title={title}
              data-testid="airlock-status-item"
              onClick={this._onClick}
            >
              {trans.__('Mirror: %1', name ?? trans.__('none'))}
              {health}
            </span>
          );
        }}
      </UseSignal>
    );
  }
}
