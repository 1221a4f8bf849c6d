import './base.css';
import './artifact-table.css';
import './dmz-request.css';
