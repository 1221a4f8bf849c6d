import './base.css';
import './artifact-table.css';
