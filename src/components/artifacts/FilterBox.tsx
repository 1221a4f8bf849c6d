import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CatalogModel } from '../../catalog';

/**
 * Narrow the open folder to names that contain what the user types, whatever its case.
 */
export function FilterBox(props: {
  model: CatalogModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [text, setText] = React.useState(model.filter);
  React.useEffect(() => {
    if (text === model.filter) {
      return;
    }
    // Narrow once typing pauses, not for every keystroke (a folder may be long).
    const timer = setTimeout(() => void model.setFilter(text), 150);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <input
      className="jp-Airlock-filter jp-mod-styled"
      type="search"
      placeholder={trans.__('Filter by name')}
      aria-label={trans.__('Filter by name')}
      value={text}
      onChange={event => setText(event.currentTarget.value)}
    />
  );
}
