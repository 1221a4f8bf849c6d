import { LabIcon } from '@jupyterlab/ui-components';

// An airlock hatch: a door with a locking wheel. `jp-icon3` lets themes recolour it.
const airlockSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h16a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm1 2v14h14V5H5z"/>
    <path d="M12 7a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z"/>
    <path d="M11 6h2v12h-2zM6 11h12v2H6z"/>
  </g>
</svg>`;

export const airlockIcon = new LabIcon({
  name: 'jupyterlab-airlock:airlock',
  svgstr: airlockSvg
});
