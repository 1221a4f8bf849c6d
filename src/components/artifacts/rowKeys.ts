import * as React from 'react';

import { ArtifactRow, CatalogModel } from '../../catalog';
import { isTickable } from './ArtifactRow';

/**
 * Rows that Page Up and Page Down move by: about one list height.
 */
const PAGE = 6;

/**
 * The keyboard of a list or table of artifact rows, which is one Tab stop: the arrow
 * keys, Home, End, Page Up and Page Down move; Enter opens a folder or shows a file;
 * Space ticks a package for install (or shows another file); Backspace goes up a folder.
 */
export function useRowKeys(props: {
  model: CatalogModel;
  rows: ArtifactRow[];
  onToggle: (key: string) => void;
  /**
   * Bring a row into view (the virtualized list's scroll).
   */
  scrollTo: (index: number) => void;
  /**
   * What else puts the keyboard back on the first row when it changes (a new sort order).
   */
  order?: string;
}): {
  active: number;
  activate: (index: number, tick: boolean) => void;
  onKeyDown: (event: React.KeyboardEvent) => void;
} {
  const { model, rows, onToggle, scrollTo, order } = props;
  const [active, setActive] = React.useState(0);
  React.useEffect(() => setActive(0), [model.prefix, model.filter, order]);

  const activate = (index: number, tick: boolean) => {
    const row = rows[index];
    setActive(index);
    if (row.type === 'folder') {
      void model.open(row.prefix);
    } else if (tick && isTickable(row)) {
      onToggle(row.entry.key);
    } else {
      void model.select(row.entry);
    }
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (rows.length === 0) {
      return;
    }
    const moves: { [key: string]: number } = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + PAGE,
      PageUp: active - PAGE,
      Home: 0,
      End: rows.length - 1
    };
    if (event.key in moves) {
      const next = Math.max(0, Math.min(rows.length - 1, moves[event.key]));
      setActive(next);
      scrollTo(next);
    } else if (event.key === 'Enter' && rows[active]) {
      activate(active, false);
    } else if (event.key === ' ' && rows[active]) {
      activate(active, true);
    } else if (event.key === 'Backspace' && model.prefix) {
      const parts = model.prefix.split('/').filter(part => part);
      void model.open(
        parts.length > 1 ? parts.slice(0, -1).join('/') + '/' : ''
      );
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };
  return { active: Math.min(active, rows.length - 1), activate, onKeyDown };
}
