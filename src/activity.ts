// Only for model.ts, which imports the old name from here until its owner switches it
// to AuditModel from './audit' (model.ts is being edited on another branch).
export { AuditModel as ActivityModel } from './audit';
