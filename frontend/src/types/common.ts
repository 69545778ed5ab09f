// Shared by every concept: the media types, the roles and a page of a list.

export type MediaType = "image" | "video";
export type Role = "annotator" | "reviewer" | "manager" | "researcher" | "admin";

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
