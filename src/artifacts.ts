// Only for model.ts, which imports the old name from here until its owner switches it
// to CatalogModel from './catalog' (model.ts is being edited on another branch).
export { CatalogModel as ArtifactsModel } from './catalog';
