/**
 * Growable typed-array columns: per-message and per-frame rows without one JS object per
 * row. A row costs only the bytes of its columns (tens of bytes), which is what keeps the
 * store several times leaner than a payload-per-message design.
 */
type NumericArray = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

export class Column<T extends NumericArray> {
  data: T;
  constructor(private readonly make: (length: number) => T, capacity = 1024) {
    this.data = make(capacity);
  }
  /**
   * Makes room for `capacity` rows, growing by half so that appends stay amortised O(1)
   * while the unused tail stays small (doubling left up to half of every column empty).
   */
  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    let n = Math.max(16, Math.ceil(this.data.length * 1.5));
    while (n < capacity) n = Math.ceil(n * 1.5);
    const next = this.make(n);
    next.set(this.data);
    this.data = next;
  }
}

export const f64 = (capacity?: number) => new Column((n) => new Float64Array(n), capacity);
export const u32 = (capacity?: number) => new Column((n) => new Uint32Array(n), capacity);
export const i32 = (capacity?: number) => new Column((n) => new Int32Array(n), capacity);
export const u16 = (capacity?: number) => new Column((n) => new Uint16Array(n), capacity);
export const u8 = (capacity?: number) => new Column((n) => new Uint8Array(n), capacity);

/**
 * Interns "ip:port" endpoints to small ids without building the joined string per
 * message: the decoders hand out the same IP string object for the same address, whose
 * hash V8 caches, so the two-level lookup is cheap.
 */
export class EndpointInterner {
  private readonly byIp = new Map<string, Map<number, number>>();
  readonly values: string[] = [];
  id(ip: string, port: number, v6: boolean): number {
    let ports = this.byIp.get(ip);
    if (ports === undefined) {
      ports = new Map();
      this.byIp.set(ip, ports);
    }
    let id = ports.get(port);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(v6 ? `[${ip}]:${port}` : `${ip}:${port}`);
      ports.set(port, id);
    }
    return id;
  }
  value(id: number): string {
    return this.values[id] ?? '';
  }
}

/** Interns strings to small integer ids (methods, addresses, transports). */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
  value(id: number): string {
    return this.values[id] ?? '';
  }
}
