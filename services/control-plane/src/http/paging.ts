/**
 * Cursor paging for admin lists: rows in a stable order (creation time, then id), the cursor
 * being the id of the last row of the previous page. An unknown cursor yields an empty page.
 */

export const pageQueryProperties = {
  pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  nextPageToken: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'The nextPageToken of the previous page' },
} as const;

export interface PageQuery {
  pageSize: number;
  nextPageToken?: string;
}

/** Prisma arguments for one page: one extra row tells whether another page follows. */
export function pageArgs(q: PageQuery) {
  return {
    orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
    take: q.pageSize + 1,
    ...(q.nextPageToken !== undefined ? { cursor: { id: q.nextPageToken }, skip: 1 } : {}),
  };
}

export function pageOf<T extends { id: string }>(rows: T[], pageSize: number): { items: T[]; nextPageToken: string | null } {
  const items = rows.slice(0, pageSize);
  return { items, nextPageToken: rows.length > pageSize ? (items[items.length - 1]?.id ?? null) : null };
}
