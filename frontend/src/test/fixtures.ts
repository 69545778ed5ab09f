// Shared test data. The example checklist of docs/checklist-format.md: lighting_beauty is gated
// by q4 "Is there lighting?" of lighting.
import type { ChecklistDefinition } from "../types";

export const SMALL: ChecklistDefinition = {
  key: "street-photos",
  title: "Street photos",
  media_type: "image",
  dimensions: [
    {
      key: "quality",
      title: "Quality",
      sub_dimensions: [
        {
          key: "clarity",
          title: "Clarity",
          options: [
            { code: 2, label: "very clear" },
            { code: 1, label: "clear" },
            { code: 0, label: "blurry" },
          ],
          questions: [
            { key: "q1", text: "Is the image very clear?", yes_if_at_least: 2 },
            { key: "q2", text: "Is the image clear?", yes_if_at_least: 1 },
          ],
        },
        {
          key: "lighting",
          title: "Lighting",
          options: [
            { code: 2, label: "distinct" },
            { code: 1, label: "ordinary" },
            { code: 0, label: "no lighting", not_present: true },
          ],
          questions: [
            { key: "q3", text: "Is the lighting distinct?", yes_if_at_least: 2 },
            { key: "q4", text: "Is there lighting?", yes_if_at_least: 1, presence: true },
          ],
        },
        {
          key: "lighting_beauty",
          title: "Lighting beauty",
          gated_by: "q4",
          options: [
            { code: 1, label: "beautiful" },
            { code: 0, label: "ordinary" },
          ],
          questions: [{ key: "q5", text: "Is the lighting beautiful?", yes_if_at_least: 1 }],
        },
      ],
    },
  ],
};

/** SMALL plus a second dimension (to see grouping by dimension). */
export const TWO_DIMENSIONS: ChecklistDefinition = {
  ...SMALL,
  dimensions: [
    ...SMALL.dimensions,
    {
      key: "content",
      title: "Content",
      sub_dimensions: [
        {
          key: "subject",
          title: "Subject",
          options: [
            { code: 1, label: "clear subject" },
            { code: 0, label: "no subject" },
          ],
          questions: [{ key: "q6", text: "Is there a clear subject?", yes_if_at_least: 1 }],
        },
      ],
    },
  ],
};
