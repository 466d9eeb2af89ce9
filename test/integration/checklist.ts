import type { ApiClient } from '../setup/platform.js';

/**
 * A fully answered checklist, as a superuser fills it in: every item ticked, and the language
 * item answered with a reason when the project's letters lack nynorsk (the API says which).
 */
export const completeChecklist = async (superuser: ApiClient, projectId: string): Promise<Record<string, true | string>> => {
  const res = await superuser.get(`/projects/${projectId}/checklist`);
  if (res.status !== 200) throw new Error(`checklist: ${res.status} ${res.text}`);
  const items = res.body.items as { id: string; noteRequired?: boolean }[];
  return Object.fromEntries(items.map((i) => [i.id, i.noteRequired ? 'Nynorsk er ikke med: studien gjelder et lite, bokmålsspråklig utvalg' : true]));
};
