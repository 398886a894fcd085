export { KilnError, isKilnError, MODEL_ERROR_DOCS } from './errors.js';
export { type ValueType, type ProfileTypeId, formatProfileTypeId, parseProfileTypeId } from './value-type.js';
export {
  type Profile,
  type FunctionTable,
  type LocationTable,
  type Mapping,
  type SampleTable,
  type Label,
  type NameIds,
  functionName,
  sumValues,
} from './profile.js';
export {
  ProfileBuilder,
  type ProfileBuilderOptions,
  type FunctionInput,
  type LocationInput,
} from './profile-builder.js';
export {
  CallTree,
  CallTreeBuilder,
  ROOT_NAME,
  OTHER_NAME,
  assembleCallTree,
  emptyCallTree,
  compareNames,
} from './call-tree.js';
export { buildCallTree, addProfileToCallTree, type BuildCallTreeOptions } from './build-call-tree.js';
export { type StackSamples, withValues, sumStackSamples, stackSampleFrames } from './stack-samples.js';
export { buildStackSamples } from './build-stack-samples.js';
export { mergeCallTrees } from './merge.js';
export { callTreeToProfile, type TreeToProfileOptions } from './tree-to-profile.js';
export { mergeProfiles } from './merge-profiles.js';
export { diffCallTrees, diffShare, type DiffTree } from './diff.js';
export { trimCallTree, selectKeptNodes } from './trim.js';
export { selectTopFunctions, type TopFunction } from './top.js';
export { buildSandwich, type Sandwich } from './sandwich.js';
export {
  encodeFlamebearer,
  decodeFlamebearer,
  type Flamebearer,
  type DiffFlamebearer,
  type FlamebearerOptions,
} from './flamebearer.js';
export { encodeDiffFlamebearer, decodeDiffFlamebearer, trimDiffTree } from './flamebearer-diff.js';
export { nameId, nameIdOfBytes, nameIdOfText } from './name-id.js';
