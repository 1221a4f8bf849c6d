import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IPreview } from '../../api';

/**
 * The dataset's size as the format tells it ("1,000,000 rows × 4 columns", "4 columns"),
 * saying when only some columns are shown; null when the format does not tell.
 */
export function previewShape(
  preview: IPreview,
  trans: TranslationBundle
): string | null {
  const { rows_total: rows, columns_total: columns } = preview;
  if (columns === null) {
    return null;
  }
  const columnsText = trans._n(
    '%2 column',
    '%2 columns',
    columns,
    columns.toLocaleString()
  );
  const shape =
    rows === null
      ? columnsText
      : trans.__(
          '%1 × %2',
          trans._n('%2 row', '%2 rows', rows, rows.toLocaleString()),
          columnsText
        );
  return preview.columns.length < columns
    ? trans.__('%1 (the first %2 shown)', shape, preview.columns.length)
    : shape;
}

/**
 * The first rows of a dataset, with each column's type under its name when the format
 * has types.
 */
export function PreviewTable(props: {
  preview: IPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  const shape = previewShape(preview, trans);
  const types = preview.column_types;
  return (
    <div className="jp-Airlock-preview">
      {preview.note && <p className="jp-Airlock-muted">{preview.note}</p>}
      {shape && (
        <p className="jp-Airlock-muted" data-testid="airlock-preview-shape">
          {shape}
        </p>
      )}
      {preview.columns.length > 0 && (
        <div className="jp-Airlock-previewScroll">
          <table data-testid="airlock-preview" aria-label={trans.__('Preview')}>
            <thead>
              <tr>
                {preview.columns.map((column, index) => (
                  <th key={index} scope="col" title={column}>
                    {column}
                    {types && (
                      <span className="jp-Airlock-previewType">
                        {types[index]}
                      </span>
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((row, index) => (
                <tr key={index}>
                  {row.map((cell, column) => (
                    <td key={column} title={cell}>
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {preview.truncated && preview.rows.length > 0 && (
        <p className="jp-Airlock-muted">{trans.__('First rows only.')}</p>
      )}
    </div>
  );
}
