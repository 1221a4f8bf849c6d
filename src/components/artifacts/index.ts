export { ArtifactsSection } from './ArtifactsSection';
