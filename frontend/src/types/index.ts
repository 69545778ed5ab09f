// Domain types, named as in the API and the docs (checklist, dimension, sub-dimension, option,
// question, task, assignment, annotation, prediction, pair, gold answer), one module per concept;
// `import type { … } from "../types"` reads them all from here.

export type * from "./common";
export type * from "./accounts";
export type * from "./checklist";
export type * from "./projects";
export type * from "./tasks";
export type * from "./predictions";
export type * from "./review";
export type * from "./weights";
export type * from "./datasets";
export type * from "./jobs";
export type * from "./assets";
export type * from "./imports";
export type * from "./webhooks";
export type * from "./preferences";
