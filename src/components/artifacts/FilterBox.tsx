import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CatalogModel } from '../../catalog';

/**
 * Narrow the open folder to names that start with what the user types.
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
    // Ask the server once typing pauses, not for every keystroke.
    const timer = setTimeout(() => void model.setFilter(text), 250);
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
