/**
 * An object with some of its methods replaced, the rest still its own and bound to it: how the
 * gateway adjusts the A2A SDK's handlers and stores (whose classes keep private state) without
 * subclassing them.
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const v: unknown = Reflect.get(t, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
