import { endpointIp } from '../analysis/dialog-messages';

/**
 * Address aliases (config `alias`): names shown instead of addresses in the list's Source
 * and Destination columns and over the call-flow columns. An alias for `ip:port` replaces
 * that endpoint; an alias for an address alone replaces the address and keeps the port
 * (`sbc:5060`). Endpoints with the same shown name share one call-flow column.
 */
export type AliasLookup = (endpoint: string) => string;

/** The key an alias is stored under: `10.0.0.1`, `10.0.0.1:5060`, `2001:db8::1`, `[2001:db8::1]:5060`. */
export function aliasKey(address: string): string {
  return address.toLowerCase();
}

/** Whether an alias address names one endpoint (`ip:port`) rather than an address. */
export function isEndpointAddress(address: string): boolean {
  return /^\[[0-9a-f:.]+\]:\d+$/i.test(address) || /^\d+\.\d+\.\d+\.\d+:\d+$/.test(address);
}

export function aliasLookup(aliases: ReadonlyMap<string, string>): AliasLookup {
  if (aliases.size === 0) return (e) => e;
  return (e) => {
    const exact = aliases.get(aliasKey(e));
    if (exact !== undefined) return exact;
    const ip = endpointIp(e);
    const byIp = aliases.get(aliasKey(ip));
    if (byIp === undefined) return e;
    return ip === e ? byIp : `${byIp}${e.slice(e.lastIndexOf(':'))}`;
  };
}
