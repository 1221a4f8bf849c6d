import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CatalogModel } from '../../catalog';
import { copyFolder } from './copy';

/**
 * The path of the open folder, each part a link to it, and the copy of the whole folder.
 */
export function Breadcrumbs(props: {
  model: CatalogModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const parts = model.prefix.split('/').filter(part => part);
  return (
    <nav className="jp-Airlock-breadcrumbs" aria-label={trans.__('Folder')}>
      {parts.length > 0 && (
        <Button
          small
          className="jp-Airlock-secondary jp-Airlock-copyFolder"
          onClick={() => void copyFolder(model, trans)}
        >
          {trans.__('Copy folder…')}
        </Button>
      )}
      <button className="jp-Airlock-link" onClick={() => void model.open('')}>
        {trans.__('root')}
      </button>
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {' / '}
          <button
            className="jp-Airlock-link"
            onClick={() =>
              void model.open(parts.slice(0, index + 1).join('/') + '/')
            }
          >
            {part}
          </button>
        </React.Fragment>
      ))}
    </nav>
  );
}
