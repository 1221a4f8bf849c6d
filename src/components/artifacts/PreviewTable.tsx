import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IPreview } from '../../api';

/**
 * The first rows of a dataset.
 */
export function PreviewTable(props: {
  preview: IPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  return (
    <div className="jp-Airlock-preview">
      {preview.note && <p className="jp-Airlock-muted">{preview.note}</p>}
      <table data-testid="airlock-preview" aria-label={trans.__('Preview')}>
        <thead>
          <tr>
            {preview.columns.map((column, index) => (
              <th key={index}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td key={column}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {preview.truncated && (
        <p className="jp-Airlock-muted">{trans.__('First rows only.')}</p>
      )}
    </div>
  );
}
