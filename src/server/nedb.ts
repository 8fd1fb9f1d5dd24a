/** Opening an nedb-promises datastore the way Argus uses it: one file per concept, compacted on load. */
import Datastore from "nedb-promises";
import { join } from "node:path";

export type Collection = ReturnType<typeof Datastore.create>;

export async function openCollection(dir: string, name: string): Promise<Collection> {
  const collection = Datastore.create({ filename: join(dir, `${name}.db`), autoload: false });
  await collection.load();
  return collection;
}
