// Steps run side by side in a workflow, settled together: when one fails, the other still finishes (and
// pushes its undo) before the failure goes on to the rollback, so nothing is created behind its back.

export async function sideBySide<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}
