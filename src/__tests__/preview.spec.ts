/**
 * What the preview says about a dataset's size, from what its format tells.
 */
import { nullTranslator } from '@jupyterlab/translation';

import { IPreview } from '../api';
import { previewShape } from '../components/artifacts/PreviewTable';

const trans = nullTranslator.load('jupyterlab_airlock');

function preview(fields: Partial<IPreview>): IPreview {
  return {
    key: 'data/readings.parquet',
    format: 'parquet',
    columns: ['id', 'station'],
    column_types: ['int64', 'string'],
    rows: [],
    truncated: true,
    rows_total: null,
    columns_total: null,
    note: null,
    snippet: '',
    ...fields
  };
}

describe('previewShape', () => {
  it('gives rows and columns when the format counts both', () => {
    expect(
      previewShape(preview({ rows_total: 1000000, columns_total: 2 }), trans)
    ).toBe(`${(1000000).toLocaleString()} rows × 2 columns`);
  });

  it('says when only the first columns are shown', () => {
    expect(
      previewShape(preview({ rows_total: 1, columns_total: 80 }), trans)
    ).toBe('1 row × 80 columns (the first 2 shown)');
  });

  it('gives the columns alone when the rows are not counted', () => {
    expect(previewShape(preview({ columns_total: 2 }), trans)).toBe(
      '2 columns'
    );
  });

  it('says nothing when the format does not tell', () => {
    expect(previewShape(preview({}), trans)).toBeNull();
  });
});
