import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type FormParams, type FormValue, parseStripeForm } from './stripe-form.parser';
import {
  add,
  billingPeriodOf,
  formatRational,
  parseDecimal,
  type PreviewPrice,
  priceQuantity,
  type Rational,
  type RecurringInterval,
  zero,
} from './stripe-invoice-preview';

/**
 * An in-process HTTP server that answers the part of the Stripe API Tollgate uses, so tests
 * can drive the official SDK without reaching Stripe. It validates parameters the way Stripe
 * does for those endpoints and keeps every object in memory.
 */

export type StripeObject = { id: string; object: string } & Record<string, unknown>;

export interface RecordedStripeCall {
  method: string;
  /** Path without the query string, e.g. `/v1/prices`. */
  path: string;
  /** Decoded body (POST) or query (GET) parameters. */
  params: FormParams;
  idempotencyKey?: string;
  status: number;
}

export interface AcceptedMeterEvent {
  eventName: string;
  customerId: string;
  value: number;
  identifier: string;
  /** Seconds since the epoch, as Stripe stores it. */
  timestamp: number;
}

export type TestInvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

/**
 * Fields of an invoice added with `createInvoice`. Without amounts, the customer's upcoming invoice
 * (its live subscription priced as `create_preview` does) is finalized as it stands; a customer with
 * no live subscription gets an empty invoice.
 */
export interface TestInvoiceFields {
  /** Default `paid`. */
  status?: TestInvoiceStatus;
  /** Integer minor units. */
  amount_due?: number;
  /** Default: `amount_due` when paid, else 0. */
  amount_paid?: number;
  currency?: string;
  /** Seconds since the epoch. */
  period_start?: number;
  period_end?: number;
  created?: number;
}

export interface StripeTestServerOptions {
  /** Milliseconds since the epoch; lets a test move past the 24 h idempotency and identifier windows. */
  now?: () => number;
}

export interface StripeTestServer {
  /** `http://127.0.0.1:<port>`: what the adapter reads from `STRIPE_API_BASE`. */
  url: string;
  host: string;
  port: number;
  calls: RecordedStripeCall[];
  /** Every created object by id (products, prices, meters, customers, subscriptions, sessions). */
  objects: Map<string, StripeObject>;
  meterEvents: AcceptedMeterEvent[];
  /** Sum of accepted meter event values for one event name and customer. */
  meterTotal(eventName: string, customerId: string): number;
  /** The next `count` requests answer `status` (429 `rate_limit_error` by default, 5xx `api_error`). */
  failNext(count: number, status?: number): void;
  /** Adds an invoice to a customer, as Stripe does when it bills a subscription period (test only). */
  createInvoice(customerId: string, fields?: TestInvoiceFields): StripeObject;
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

class StripeApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return {
      error: {
        type: this.type,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
        ...(this.code === undefined ? {} : { code: this.code }),
      },
    };
  }
}

function missing(param: string): StripeApiFailure {
  return new StripeApiFailure(
    400,
    'invalid_request_error',
    `Missing required param: ${param}.`,
    param,
    'parameter_missing',
  );
}

function invalid(param: string, message: string): StripeApiFailure {
  return new StripeApiFailure(400, 'invalid_request_error', message, param, 'parameter_invalid_empty');
}

function noSuch(kind: string, id: string, param: string, status = 400): StripeApiFailure {
  return new StripeApiFailure(
    status,
    'invalid_request_error',
    `No such ${kind}: '${id}'`,
    param,
    'resource_missing',
  );
}

function text(params: FormParams | FormValue | undefined, name: string): string | undefined {
  if (params === undefined || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

function requiredText(params: FormParams | FormValue | undefined, name: string, param = name): string {
  const value = text(params, name);
  if (value === undefined || value === '') throw missing(param);
  return value;
}

function record(
  params: FormParams | FormValue | undefined,
  name: string,
): Record<string, FormValue> | undefined {
  if (params === undefined || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const value = params[name];
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function list(params: FormParams, name: string): FormValue[] | undefined {
  const value = params[name];
  return Array.isArray(value) ? value : undefined;
}

function integer(value: string | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw invalid(param, `Invalid integer: ${value}`);
  return Number(value);
}

function decimal(value: string | undefined, param: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw invalid(param, `Invalid decimal: ${value}`);
  return value;
}

function oneOf(value: string | undefined, allowed: string[], param: string): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) {
    throw invalid(param, `Invalid ${param}: must be one of ${allowed.join(', ')}`);
  }
  return value;
}

function stringMap(value: Record<string, FormValue> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, inner] of Object.entries(value ?? {})) if (typeof inner === 'string') out[key] = inner;
  return out;
}

/** Canonical JSON (sorted keys) so equal parameter sets compare equal whatever their order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A meter event value (a JS number) as an exact rational. */
function exactNumber(value: number): Rational {
  if (Number.isInteger(value)) return { numerator: BigInt(value), denominator: 1n };
  return parseDecimal(value.toFixed(12));
}

function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(14);
  let suffix = '';
  for (const byte of bytes) suffix += alphabet[byte % alphabet.length];
  return `${prefix}_${suffix}`;
}

function secretKeyOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer (\S+)$/.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic (\S+)$/.exec(header);
  if (basic)
    return Buffer.from(basic[1] ?? '', 'base64')
      .toString('utf8')
      .split(':')[0];
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
  storedAt: number;
}

/** Starts the server on 127.0.0.1 and an ephemeral port. */
export async function startStripeTestServer(
  options: StripeTestServerOptions = {},
): Promise<StripeTestServer> {
  const now = options.now ?? Date.now;
  const calls: RecordedStripeCall[] = [];
  const objects = new Map<string, StripeObject>();
  const meterEvents: AcceptedMeterEvent[] = [];
  const identifiersSeen = new Map<string, number>();
  const idempotent = new Map<string, StoredResponse>();
  const failures: number[] = [];
  let baseUrl = '';

  const seconds = (): number => Math.floor(now() / 1000);

  const store = (object: StripeObject): StripeObject => {
    objects.set(object.id, object);
    return object;
  };

  const find = (id: string, object: string): StripeObject | undefined => {
    const found = objects.get(id);
    return found?.object === object ? found : undefined;
  };

  const base = (id: string, object: string): StripeObject => ({
    id,
    object,
    created: seconds(),
    livemode: false,
  });

  const createProduct = (params: FormParams): StripeObject => {
    const name = requiredText(params, 'name');
    const id = text(params, 'id') ?? newId('prod');
    if (objects.has(id)) {
      throw new StripeApiFailure(
        400,
        'invalid_request_error',
        `Product already exists.`,
        'id',
        'resource_already_exists',
      );
    }
    return store({
      ...base(id, 'product'),
      name,
      description: text(params, 'description') ?? null,
      active: text(params, 'active') !== 'false',
      metadata: stringMap(record(params, 'metadata')),
    });
  };

  /**
   * `POST /v1/products/{id}`: the fields sent change, as on Stripe: an empty description removes
   * it, metadata keys merge (an empty value removes a key); the name may not be emptied.
   */
  const updateProduct = (product: StripeObject, params: FormParams): StripeObject => {
    const name = text(params, 'name');
    if (name === '')
      throw invalid(
        'name',
        "You passed an empty string for 'name'. We assume empty values are an attempt to unset a parameter; however 'name' cannot be unset.",
      );
    const description = text(params, 'description');
    const active = oneOf(text(params, 'active'), ['true', 'false'], 'active');
    const metadata = { ...(product['metadata'] as Record<string, string>) };
    for (const [key, value] of Object.entries(stringMap(record(params, 'metadata')))) {
      if (value === '') delete metadata[key];
      else metadata[key] = value;
    }
    return store({
      ...product,
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description: description === '' ? null : description }),
      ...(active === undefined ? {} : { active: active === 'true' }),
      metadata,
      updated: seconds(),
    });
  };

  const parseTiers = (params: FormParams): Array<Record<string, unknown>> => {
    const tiers = list(params, 'tiers');
    if (tiers === undefined || tiers.length === 0) throw missing('tiers');
    return tiers.map((tier, index) => {
      const upTo = requiredText(tier, 'up_to', `tiers[${index}][up_to]`);
      const isLast = index === tiers.length - 1;
      if (upTo === 'inf' ? !isLast : isLast) {
        throw invalid(
          `tiers[${index}][up_to]`,
          'The last tier, and only the last, must have `up_to` set to `inf`.',
        );
      }
      const unitAmount = integer(text(tier, 'unit_amount'), `tiers[${index}][unit_amount]`);
      const unitAmountDecimal = decimal(
        text(tier, 'unit_amount_decimal'),
        `tiers[${index}][unit_amount_decimal]`,
      );
      const flatAmount = integer(text(tier, 'flat_amount'), `tiers[${index}][flat_amount]`);
      const flatAmountDecimal = decimal(
        text(tier, 'flat_amount_decimal'),
        `tiers[${index}][flat_amount_decimal]`,
      );
      const hasUnit = unitAmount !== undefined || unitAmountDecimal !== undefined;
      const hasFlat = flatAmount !== undefined || flatAmountDecimal !== undefined;
      if (!hasUnit && !hasFlat) throw missing(`tiers[${index}][unit_amount]`);
      return {
        up_to: upTo === 'inf' ? null : integer(upTo, `tiers[${index}][up_to]`),
        unit_amount: unitAmount ?? null,
        unit_amount_decimal: unitAmountDecimal ?? (unitAmount === undefined ? null : String(unitAmount)),
        flat_amount: flatAmount ?? null,
        flat_amount_decimal: flatAmountDecimal ?? (flatAmount === undefined ? null : String(flatAmount)),
      };
    });
  };

  const createPrice = (params: FormParams): StripeObject => {
    const currency = requiredText(params, 'currency');
    if (!/^[a-z]{3}$/.test(currency)) throw invalid('currency', `Invalid currency: ${currency}`);
    let productId = text(params, 'product');
    const productData = record(params, 'product_data');
    if (productId === undefined && productData === undefined) throw missing('product');
    if (productId !== undefined) {
      if (find(productId, 'product') === undefined) throw noSuch('product', productId, 'product');
    } else {
      productId = createProduct({
        ...productData,
        name: requiredText(productData, 'name', 'product_data[name]'),
      }).id;
    }
    const billingScheme =
      oneOf(text(params, 'billing_scheme'), ['per_unit', 'tiered'], 'billing_scheme') ?? 'per_unit';
    const unitAmount = integer(text(params, 'unit_amount'), 'unit_amount');
    const unitAmountDecimal = decimal(text(params, 'unit_amount_decimal'), 'unit_amount_decimal');
    let tiers: Array<Record<string, unknown>> | null = null;
    let tiersMode: string | null = null;
    if (billingScheme === 'tiered') {
      tiersMode = oneOf(text(params, 'tiers_mode'), ['graduated', 'volume'], 'tiers_mode') ?? null;
      if (tiersMode === null) throw missing('tiers_mode');
      tiers = parseTiers(params);
      if (unitAmount !== undefined || unitAmountDecimal !== undefined) {
        throw invalid('unit_amount', 'You may not set `unit_amount` when `billing_scheme` is `tiered`.');
      }
    } else {
      if (params['tiers'] !== undefined || params['tiers_mode'] !== undefined) {
        throw invalid('billing_scheme', '`tiers` require `billing_scheme=tiered`.');
      }
      if (unitAmount === undefined && unitAmountDecimal === undefined) throw missing('unit_amount');
      if (unitAmount !== undefined && unitAmountDecimal !== undefined) {
        throw invalid(
          'unit_amount_decimal',
          'You may only specify one of `unit_amount` and `unit_amount_decimal`.',
        );
      }
      if ((unitAmount ?? 0) < 0 || Number(unitAmountDecimal ?? 0) < 0) {
        throw invalid('unit_amount', 'The unit amount must be zero or greater.');
      }
    }

    let recurring: Record<string, unknown> | null = null;
    const recurringParams = record(params, 'recurring');
    if (recurringParams !== undefined) {
      const interval = oneOf(
        requiredText(recurringParams, 'interval', 'recurring[interval]'),
        ['day', 'week', 'month', 'year'],
        'recurring[interval]',
      );
      const usageType =
        oneOf(text(recurringParams, 'usage_type'), ['licensed', 'metered'], 'recurring[usage_type]') ??
        'licensed';
      const meter = text(recurringParams, 'meter');
      if (usageType === 'metered') {
        if (meter === undefined) throw missing('recurring[meter]');
        if (find(meter, 'billing.meter') === undefined)
          throw noSuch('billing.meter', meter, 'recurring[meter]');
      } else if (meter !== undefined) {
        throw invalid('recurring[meter]', '`recurring[meter]` requires `recurring[usage_type]=metered`.');
      }
      recurring = {
        interval,
        interval_count: integer(text(recurringParams, 'interval_count'), 'recurring[interval_count]') ?? 1,
        usage_type: usageType,
        meter: meter ?? null,
        trial_period_days: null,
      };
    }

    const lookupKey = text(params, 'lookup_key');
    if (lookupKey !== undefined) {
      const holder = [...objects.values()].find(
        (object) => object.object === 'price' && object['lookup_key'] === lookupKey,
      );
      if (holder !== undefined) {
        if (text(params, 'transfer_lookup_key') !== 'true') {
          throw invalid('lookup_key', `A price (\`${holder.id}\`) already uses that lookup key.`);
        }
        holder['lookup_key'] = null;
      }
    }

    const transform = record(params, 'transform_quantity');
    const transformQuantity =
      transform === undefined
        ? null
        : {
            divide_by: integer(
              requiredText(transform, 'divide_by', 'transform_quantity[divide_by]'),
              'transform_quantity[divide_by]',
            ),
            round: oneOf(
              requiredText(transform, 'round', 'transform_quantity[round]'),
              ['up', 'down'],
              'transform_quantity[round]',
            ),
          };

    return store({
      ...base(newId('price'), 'price'),
      active: text(params, 'active') !== 'false',
      billing_scheme: billingScheme,
      currency,
      lookup_key: lookupKey ?? null,
      metadata: stringMap(record(params, 'metadata')),
      nickname: text(params, 'nickname') ?? null,
      product: productId,
      recurring,
      tiers,
      tiers_mode: tiersMode,
      transform_quantity: transformQuantity,
      type: recurring === null ? 'one_time' : 'recurring',
      unit_amount: unitAmount ?? null,
      unit_amount_decimal: unitAmountDecimal ?? (unitAmount === undefined ? null : String(unitAmount)),
    });
  };

  const createMeter = (params: FormParams): StripeObject => {
    const displayName = requiredText(params, 'display_name');
    const eventName = requiredText(params, 'event_name');
    const formula = oneOf(
      requiredText(record(params, 'default_aggregation'), 'formula', 'default_aggregation[formula]'),
      ['sum', 'count', 'last'],
      'default_aggregation[formula]',
    );
    const taken = [...objects.values()].some(
      (object) =>
        object.object === 'billing.meter' &&
        object['event_name'] === eventName &&
        object['status'] === 'active',
    );
    if (taken) throw invalid('event_name', `An active meter with event_name '${eventName}' already exists.`);
    const mapping = record(params, 'customer_mapping');
    const valueSettings = record(params, 'value_settings');
    return store({
      ...base(newId('mtr'), 'billing.meter'),
      display_name: displayName,
      event_name: eventName,
      status: 'active',
      default_aggregation: { formula },
      customer_mapping: {
        type: oneOf(text(mapping, 'type'), ['by_id'], 'customer_mapping[type]') ?? 'by_id',
        event_payload_key: text(mapping, 'event_payload_key') ?? 'stripe_customer_id',
      },
      value_settings: { event_payload_key: text(valueSettings, 'event_payload_key') ?? 'value' },
      event_time_window: text(params, 'event_time_window') ?? null,
    });
  };

  const createMeterEvent = (params: FormParams): Record<string, unknown> => {
    const eventName = requiredText(params, 'event_name');
    const payload = record(params, 'payload');
    if (payload === undefined) throw missing('payload');
    const meter = [...objects.values()].find(
      (object) =>
        object.object === 'billing.meter' &&
        object['event_name'] === eventName &&
        object['status'] === 'active',
    );
    if (meter === undefined)
      throw invalid('event_name', `No active meter was found for event_name '${eventName}'.`);
    const customerKey = (meter['customer_mapping'] as { event_payload_key: string }).event_payload_key;
    const valueKey = (meter['value_settings'] as { event_payload_key: string }).event_payload_key;
    const customerId = requiredText(payload, customerKey, `payload[${customerKey}]`);
    const rawValue = text(payload, valueKey);
    const formula = (meter['default_aggregation'] as { formula: string }).formula;
    if (rawValue === undefined && formula !== 'count') throw missing(`payload[${valueKey}]`);
    if (rawValue !== undefined && !/^-?\d+(\.\d+)?$/.test(rawValue)) {
      throw invalid(`payload[${valueKey}]`, `The value must be a number; got '${rawValue}'.`);
    }
    const timestamp = integer(text(params, 'timestamp'), 'timestamp') ?? seconds();
    if (timestamp < seconds() - 35 * 24 * 60 * 60 || timestamp > seconds() + 5 * 60) {
      throw invalid(
        'timestamp',
        'The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.',
      );
    }
    const identifier = text(params, 'identifier') ?? newId('mev');
    const seenAt = identifiersSeen.get(identifier);
    if (seenAt !== undefined && now() - seenAt < DAY_MS) {
      throw new StripeApiFailure(
        400,
        'invalid_request_error',
        `A meter event with identifier '${identifier}' already exists.`,
        'identifier',
        'resource_already_exists',
      );
    }
    identifiersSeen.set(identifier, now());
    meterEvents.push({ eventName, customerId, value: Number(rawValue ?? '1'), identifier, timestamp });
    return {
      object: 'billing.meter_event',
      created: seconds(),
      event_name: eventName,
      identifier,
      livemode: false,
      payload: stringMap(payload),
      timestamp,
    };
  };

  const createCustomer = (params: FormParams): StripeObject => {
    const email = text(params, 'email');
    if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email))
      throw invalid('email', `Invalid email address: ${email}`);
    return store({
      ...base(newId('cus'), 'customer'),
      email: email ?? null,
      name: text(params, 'name') ?? null,
      metadata: stringMap(record(params, 'metadata')),
    });
  };

  const requireCustomer = (params: FormParams): StripeObject => {
    const customerId = requiredText(params, 'customer');
    const customer = find(customerId, 'customer');
    if (customer === undefined) throw noSuch('customer', customerId, 'customer');
    return customer;
  };

  const recurringPrice = (priceId: string | undefined, param: string): StripeObject => {
    if (priceId === undefined) throw missing(param);
    const price = find(priceId, 'price');
    if (price === undefined) throw noSuch('price', priceId, param);
    if (price['recurring'] === null) {
      throw invalid(
        param,
        `The price specified (${priceId}) is a one-time price; a recurring price is required.`,
      );
    }
    return price;
  };

  const createSubscription = (params: FormParams): StripeObject => {
    const customer = requireCustomer(params);
    const items = list(params, 'items');
    if (items === undefined || items.length === 0) throw missing('items');
    const subscriptionId = newId('sub');
    const anchor = seconds();
    const data = items.map((item, index) => {
      const price = recurringPrice(text(item, 'price'), `items[${index}][price]`);
      const metered = (price['recurring'] as { usage_type: string }).usage_type === 'metered';
      const quantity = integer(text(item, 'quantity'), `items[${index}][quantity]`);
      if (metered && quantity !== undefined) {
        throw invalid(`items[${index}][quantity]`, 'You cannot set the quantity for metered plans.');
      }
      const recurring = price['recurring'] as { interval: RecurringInterval; interval_count: number };
      const period = billingPeriodOf(anchor, recurring.interval, recurring.interval_count, anchor);
      return {
        id: newId('si'),
        object: 'subscription_item',
        price,
        quantity: metered ? undefined : (quantity ?? 1),
        subscription: subscriptionId,
        current_period_start: period.start,
        current_period_end: period.end,
      };
    });
    return store({
      ...base(subscriptionId, 'subscription'),
      customer: customer.id,
      status: 'active',
      billing_cycle_anchor: anchor,
      start_date: anchor,
      items: {
        object: 'list',
        data,
        has_more: false,
        url: `/v1/subscription_items?subscription=${subscriptionId}`,
      },
      metadata: stringMap(record(params, 'metadata')),
      cancel_at_period_end: false,
    });
  };

  const createCheckoutSession = (params: FormParams): StripeObject => {
    const mode = oneOf(requiredText(params, 'mode'), ['payment', 'setup', 'subscription'], 'mode');
    const successUrl = requiredText(params, 'success_url');
    const cancelUrl = text(params, 'cancel_url');
    const customerId = text(params, 'customer');
    const customerEmail = text(params, 'customer_email');
    if (customerId !== undefined && customerEmail !== undefined) {
      throw invalid(
        'customer_email',
        'You may only specify one of these parameters: customer, customer_email.',
      );
    }
    if (customerId !== undefined && find(customerId, 'customer') === undefined) {
      throw noSuch('customer', customerId, 'customer');
    }
    const lineItems = list(params, 'line_items');
    if (mode === 'subscription') {
      if (lineItems === undefined || lineItems.length === 0) throw missing('line_items');
      lineItems.forEach((item, index) => recurringPrice(text(item, 'price'), `line_items[${index}][price]`));
    }
    const id = newId('cs_test');
    return store({
      ...base(id, 'checkout.session'),
      mode,
      customer: customerId ?? null,
      customer_email: customerEmail ?? null,
      client_reference_id: text(params, 'client_reference_id') ?? null,
      success_url: successUrl,
      cancel_url: cancelUrl ?? null,
      status: 'open',
      metadata: stringMap(record(params, 'metadata')),
      url: `${baseUrl}/c/pay/${id}`,
    });
  };

  const createPortalSession = (params: FormParams): StripeObject => {
    const customer = requireCustomer(params);
    const returnUrl = requiredText(params, 'return_url');
    const id = newId('bps');
    return store({
      ...base(id, 'billing_portal.session'),
      customer: customer.id,
      return_url: returnUrl,
      url: `${baseUrl}/p/session/${id}`,
    });
  };

  /** A meter's usage by one customer in `[from, to]` (seconds), aggregated by the meter's formula. */
  const meterQuantity = (meterId: string | null, customerId: string, from: number, to: number): Rational => {
    const meter = meterId === null ? undefined : find(meterId, 'billing.meter');
    if (meter === undefined) return zero;
    const events = meterEvents
      .filter(
        (event) =>
          event.eventName === meter['event_name'] &&
          event.customerId === customerId &&
          event.timestamp >= from &&
          event.timestamp <= to,
      )
      .sort((a, b) => a.timestamp - b.timestamp);
    const formula = (meter['default_aggregation'] as { formula: string }).formula;
    if (formula === 'count') return { numerator: BigInt(events.length), denominator: 1n };
    if (formula === 'last')
      return events.length === 0 ? zero : exactNumber(events[events.length - 1]?.value ?? 0);
    return events.reduce((sum, event) => add(sum, exactNumber(event.value)), zero);
  };

  const previewSubscription = (customerId: string | undefined, subscriptionId: string | undefined) => {
    if (customerId !== undefined && find(customerId, 'customer') === undefined) {
      throw noSuch('customer', customerId, 'customer', 404);
    }
    if (subscriptionId !== undefined) {
      const subscription = find(subscriptionId, 'subscription');
      if (subscription === undefined) throw noSuch('subscription', subscriptionId, 'subscription', 404);
      if (customerId !== undefined && subscription['customer'] !== customerId) {
        throw new StripeApiFailure(
          400,
          'invalid_request_error',
          `The subscription '${subscriptionId}' does not belong to the customer '${customerId}'.`,
          'subscription',
        );
      }
      if (subscription['status'] === 'canceled') {
        throw new StripeApiFailure(
          400,
          'invalid_request_error',
          `The subscription '${subscriptionId}' is canceled and has no upcoming invoice.`,
          'subscription',
          'invoice_upcoming_none',
        );
      }
      return subscription;
    }
    const live = [...objects.values()].filter(
      (object) =>
        object.object === 'subscription' &&
        object['customer'] === customerId &&
        object['status'] !== 'canceled',
    );
    const first = live[0];
    if (first === undefined) {
      throw new StripeApiFailure(
        404,
        'invalid_request_error',
        `No upcoming invoices for customer: ${customerId ?? ''}`,
        undefined,
        'invoice_upcoming_none',
      );
    }
    return first;
  };

  /**
   * `POST /v1/invoices/create_preview`: the subscription's invoice as it stands now. Licensed
   * prices bill their quantity; metered prices bill their meter's usage from the start of the
   * current period to now. Each line is rounded half up to a whole minor unit.
   */
  const createInvoicePreview = (params: FormParams): Record<string, unknown> => {
    const customerParam = text(params, 'customer');
    const subscriptionParam = text(params, 'subscription');
    if (customerParam === undefined && subscriptionParam === undefined) throw missing('customer');
    const subscription = previewSubscription(customerParam, subscriptionParam);
    const customerId = subscription['customer'] as string;
    const nowSeconds = seconds();
    const anchor =
      (subscription['billing_cycle_anchor'] as number | undefined) ?? (subscription['created'] as number);
    const items = (subscription['items'] as { data: Array<Record<string, unknown>> }).data;
    let currency = 'usd';
    let periodStart = anchor;
    let periodEnd = anchor;
    const lines = items.map((item) => {
      const price = item['price'] as StripeObject & PreviewPrice;
      const recurring = price['recurring'] as {
        interval: RecurringInterval;
        interval_count: number;
        usage_type: string;
        meter: string | null;
      };
      currency = price['currency'] as string;
      const period = billingPeriodOf(anchor, recurring.interval, recurring.interval_count, nowSeconds);
      periodStart = period.start;
      periodEnd = period.end;
      const metered = recurring.usage_type === 'metered';
      const quantity: Rational = metered
        ? meterQuantity(recurring.meter, customerId, period.start, nowSeconds)
        : { numerator: BigInt((item['quantity'] as number | undefined) ?? 1), denominator: 1n };
      const priced = priceQuantity(price, quantity);
      const meter = recurring.meter === null ? undefined : find(recurring.meter, 'billing.meter');
      const product = find(price['product'] as string, 'product');
      const name = String(meter?.['display_name'] ?? product?.['name'] ?? price.id);
      const transform = price.transform_quantity;
      const terms =
        price.billing_scheme === 'tiered'
          ? `${price.tiers_mode ?? 'graduated'} tiers`
          : transform === null
            ? `at ${priced.unitAmountDecimal ?? '0'} / ${recurring.interval}`
            : `at ${priced.unitAmountDecimal ?? '0'} per ${transform.divide_by}, rounded ${transform.round}`;
      const quantityText = formatRational(quantity);
      const amount = Number(priced.amount);
      return {
        id: newId('il_tmp'),
        object: 'line_item',
        amount,
        currency,
        description: `${quantityText} × ${name} (${terms})`,
        discount_amounts: [],
        discountable: true,
        discounts: [],
        invoice: null,
        livemode: false,
        metadata: {},
        parent: {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: subscription.id,
            subscription_item: item['id'],
          },
        },
        period: { start: period.start, end: period.end },
        pretax_credit_amounts: [],
        pricing: {
          type: 'price_details',
          price_details: { price: price.id, product: price['product'] },
          unit_amount_decimal: priced.unitAmountDecimal,
        },
        quantity: /^\d+$/.test(quantityText) ? Number(quantityText) : null,
        quantity_decimal: quantityText,
        subtotal: amount,
        taxes: [],
      };
    });
    const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
    return {
      id: newId('upcoming_in'),
      object: 'invoice',
      amount_due: subtotal,
      amount_paid: 0,
      amount_remaining: subtotal,
      billing_reason: 'upcoming',
      collection_method: 'charge_automatically',
      created: nowSeconds,
      currency,
      customer: customerId,
      lines: {
        object: 'list',
        data: lines,
        has_more: false,
        total_count: lines.length,
        url: '/v1/invoices/create_preview/lines',
      },
      livemode: false,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { subscription: subscription.id, metadata: subscription['metadata'] ?? {} },
      },
      period_start: periodStart,
      period_end: periodEnd,
      status: 'draft',
      subtotal,
      subtotal_excluding_tax: subtotal,
      total: subtotal,
      total_discount_amounts: [],
      total_excluding_tax: subtotal,
      total_taxes: [],
    };
  };

  const invoiceStatuses: TestInvoiceStatus[] = ['draft', 'open', 'paid', 'uncollectible', 'void'];
  const invoiceSequence = new Map<string, number>();

  /** Stripe numbers a customer's invoices `<invoice_prefix>-0001`, `-0002`, … as they are finalized. */
  const nextInvoiceNumber = (customer: StripeObject): string => {
    if (typeof customer['invoice_prefix'] !== 'string') {
      customer['invoice_prefix'] = randomBytes(4).toString('hex').toUpperCase();
    }
    const sequence = (invoiceSequence.get(customer.id) ?? 0) + 1;
    invoiceSequence.set(customer.id, sequence);
    return `${String(customer['invoice_prefix'])}-${String(sequence).padStart(4, '0')}`;
  };

  const storeInvoice = (customer: StripeObject, fields: TestInvoiceFields): StripeObject => {
    const status = fields.status ?? 'paid';
    if (!invoiceStatuses.includes(status)) throw new Error(`Unknown invoice status: ${status}`);
    const hasLiveSubscription = [...objects.values()].some(
      (object) =>
        object.object === 'subscription' &&
        object['customer'] === customer.id &&
        object['status'] !== 'canceled',
    );
    const preview =
      fields.amount_due === undefined && hasLiveSubscription
        ? createInvoicePreview({ customer: customer.id })
        : undefined;
    const id = newId('in');
    const nowSeconds = seconds();
    const amountDue = fields.amount_due ?? (preview?.['amount_due'] as number | undefined) ?? 0;
    if (!Number.isInteger(amountDue) || amountDue < 0) throw new Error(`Invalid amount_due: ${amountDue}`);
    const amountPaid = fields.amount_paid ?? (status === 'paid' ? amountDue : 0);
    const finalized = status !== 'draft';
    const previewLines = (preview?.['lines'] as { data: Array<Record<string, unknown>> } | undefined)?.data;
    const lines = (previewLines ?? []).map((line) => ({ ...line, id: newId('il'), invoice: id }));
    return store({
      ...base(id, 'invoice'),
      created: fields.created ?? nowSeconds,
      amount_due: amountDue,
      amount_paid: amountPaid,
      amount_remaining: Math.max(0, amountDue - amountPaid),
      attempt_count: finalized ? 1 : 0,
      billing_reason: preview === undefined ? 'manual' : 'subscription_cycle',
      collection_method: 'charge_automatically',
      currency: fields.currency ?? (preview?.['currency'] as string | undefined) ?? 'usd',
      customer: customer.id,
      customer_email: customer['email'] ?? null,
      description: null,
      hosted_invoice_url: finalized ? `${baseUrl}/i/${id}` : null,
      invoice_pdf: finalized ? `${baseUrl}/invoice/${id}/pdf` : null,
      lines: {
        object: 'list',
        data: lines,
        has_more: false,
        total_count: lines.length,
        url: `/v1/invoices/${id}/lines`,
      },
      metadata: {},
      number: finalized ? nextInvoiceNumber(customer) : null,
      parent: preview?.['parent'] ?? null,
      period_start: fields.period_start ?? (preview?.['period_start'] as number | undefined) ?? nowSeconds,
      period_end: fields.period_end ?? (preview?.['period_end'] as number | undefined) ?? nowSeconds,
      status,
      status_transitions: {
        finalized_at: finalized ? nowSeconds : null,
        paid_at: status === 'paid' ? nowSeconds : null,
        voided_at: status === 'void' ? nowSeconds : null,
        marked_uncollectible_at: status === 'uncollectible' ? nowSeconds : null,
      },
      subtotal: amountDue,
      total: amountDue,
    });
  };

  /** `POST /v1/invoices`: a draft for the customer; with no pending invoice items it is empty. */
  const createInvoice = (params: FormParams): StripeObject =>
    storeInvoice(requireCustomer(params), {
      status: 'draft',
      amount_due: 0,
      ...(text(params, 'currency') === undefined ? {} : { currency: text(params, 'currency') }),
    });

  /** What `GET /v1/invoices` refuses, as Stripe does: an unknown customer or subscription, an unknown status. */
  const validateInvoiceList = (params: FormParams): void => {
    const customerId = text(params, 'customer');
    if (customerId !== undefined && find(customerId, 'customer') === undefined) {
      throw noSuch('customer', customerId, 'customer');
    }
    const subscriptionId = text(params, 'subscription');
    if (subscriptionId !== undefined && find(subscriptionId, 'subscription') === undefined) {
      throw noSuch('subscription', subscriptionId, 'subscription');
    }
    oneOf(text(params, 'status'), invoiceStatuses, 'status');
  };

  interface Collection {
    object: string;
    create: (params: FormParams) => Record<string, unknown>;
    /** List filters: parameter name → how an object matches it. */
    filters?: Record<string, (object: StripeObject, value: FormValue) => boolean>;
    /** Refuses list parameters Stripe refuses (e.g. a filter naming a missing object). */
    validateList?: (params: FormParams) => void;
    /** `POST <path>/{id}`: changes the object and returns it. */
    update?: (object: StripeObject, params: FormParams) => StripeObject;
  }

  const equals =
    (field: string) =>
    (object: StripeObject, value: FormValue): boolean =>
      String(object[field]) === value;

  const collections: Record<string, Collection> = {
    '/v1/products': {
      object: 'product',
      create: createProduct,
      update: updateProduct,
      filters: { active: equals('active') },
    },
    '/v1/prices': {
      object: 'price',
      create: createPrice,
      filters: {
        product: equals('product'),
        active: equals('active'),
        lookup_keys: (object, value) =>
          Array.isArray(value) && value.includes(object['lookup_key'] as string),
      },
    },
    '/v1/billing/meters': {
      object: 'billing.meter',
      create: createMeter,
      filters: { status: equals('status') },
    },
    '/v1/billing/meter_events': { object: 'billing.meter_event', create: createMeterEvent },
    '/v1/customers': { object: 'customer', create: createCustomer, filters: { email: equals('email') } },
    '/v1/subscriptions': {
      object: 'subscription',
      create: createSubscription,
      filters: { customer: equals('customer'), status: equals('status') },
    },
    '/v1/checkout/sessions': {
      object: 'checkout.session',
      create: createCheckoutSession,
      filters: { customer: equals('customer') },
    },
    '/v1/billing_portal/sessions': { object: 'billing_portal.session', create: createPortalSession },
    '/v1/invoices/create_preview': { object: 'invoice', create: createInvoicePreview },
    '/v1/invoices': {
      object: 'invoice',
      create: createInvoice,
      validateList: validateInvoiceList,
      filters: {
        customer: equals('customer'),
        status: equals('status'),
        subscription: (object, value) =>
          (object['parent'] as { subscription_details?: { subscription?: string } } | null)
            ?.subscription_details?.subscription === value,
      },
    },
  };

  const listObjects = (path: string, collection: Collection, params: FormParams): Record<string, unknown> => {
    const limit = integer(text(params, 'limit'), 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalid('limit', 'The limit must be between 1 and 100.');
    collection.validateList?.(params);
    let matching = [...objects.values()]
      .filter((object) => object.object === collection.object)
      .filter((object) =>
        Object.entries(collection.filters ?? {}).every(([name, matches]) => {
          const value = params[name];
          return value === undefined || matches(object, value);
        }),
      )
      .reverse()
      // Newest first, as Stripe lists; objects created in the same second stay newest first.
      .sort((a, b) => Number(b['created'] ?? 0) - Number(a['created'] ?? 0));
    const after = text(params, 'starting_after');
    if (after !== undefined) {
      const index = matching.findIndex((object) => object.id === after);
      if (index < 0) throw noSuch(collection.object, after, 'starting_after');
      matching = matching.slice(index + 1);
    }
    return { object: 'list', data: matching.slice(0, limit), has_more: matching.length > limit, url: path };
  };

  const route = (method: string, path: string, params: FormParams): Record<string, unknown> => {
    const collection = collections[path];
    if (collection !== undefined) {
      if (method === 'POST') return collection.create(params);
      if (method === 'GET' && collection.filters !== undefined) return listObjects(path, collection, params);
    }
    const single = /^(.*)\/([^/]+)$/.exec(path);
    const parent = single ? collections[single[1] ?? ''] : undefined;
    const readable = method === 'GET' && parent?.filters !== undefined;
    const updatable = method === 'POST' && parent?.update !== undefined;
    if (single && parent && (readable || updatable)) {
      const id = single[2] ?? '';
      const found = find(id, parent.object);
      if (found === undefined) throw noSuch(parent.object.replace(/^.*\./, ''), id, 'id', 404);
      return updatable && parent.update ? parent.update(found, params) : found;
    }
    throw new StripeApiFailure(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${method}: ${path}).`,
    );
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const [path = '/', query = ''] = (request.url ?? '/').split('?', 2);
    const body = await readBody(request);
    const params = parseStripeForm(method === 'GET' || method === 'DELETE' ? query : body);
    const idempotencyKey = request.headers['idempotency-key'];
    const key = typeof idempotencyKey === 'string' ? idempotencyKey : undefined;
    const call: RecordedStripeCall = { method, path, params, idempotencyKey: key, status: 0 };
    calls.push(call);

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      response.writeHead(status, {
        'content-type': 'application/json',
        'request-id': newId('req'),
        ...headers,
      });
      response.end(JSON.stringify(payload));
    };

    const failure = failures.shift();
    if (failure !== undefined) {
      const rateLimited = failure === 429;
      send(failure, {
        error: rateLimited
          ? {
              type: 'rate_limit_error',
              code: 'rate_limit',
              message: 'Too many requests hit the API too quickly.',
            }
          : { type: 'api_error', message: 'An unexpected error occurred on the test server.' },
      });
      return;
    }

    const secretKey = secretKeyOf(request);
    if (secretKey === undefined || !/^sk_test_\w+$/.test(secretKey)) {
      send(401, {
        error: {
          type: 'invalid_request_error',
          message:
            secretKey === undefined
              ? 'You did not provide an API key. Provide it in the Authorization header as a Bearer token.'
              : 'Invalid API Key provided: test-mode secret keys start with sk_test_.',
        },
      });
      return;
    }

    const scopedKey = key === undefined || method !== 'POST' ? undefined : `${secretKey}\u0000${key}`;
    const fingerprint = `${method} ${path} ${canonical(params)}`;
    if (scopedKey !== undefined) {
      const stored = idempotent.get(scopedKey);
      if (stored !== undefined && now() - stored.storedAt < DAY_MS) {
        if (stored.fingerprint !== fingerprint) {
          send(
            400,
            {
              error: {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            },
            { 'stripe-should-retry': 'false' },
          );
          return;
        }
        send(stored.status, stored.body, { 'idempotent-replayed': 'true', 'idempotency-key': key ?? '' });
        return;
      }
    }

    try {
      const result = route(method, path, params);
      if (scopedKey !== undefined)
        idempotent.set(scopedKey, { fingerprint, status: 200, body: result, storedAt: now() });
      send(200, result, key === undefined ? {} : { 'idempotency-key': key });
    } catch (error) {
      if (error instanceof StripeApiFailure) {
        send(error.status, error.toBody());
        return;
      }
      send(500, {
        error: { type: 'api_error', message: error instanceof Error ? error.message : String(error) },
      });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The Stripe test server has no port');
  const host = '127.0.0.1';
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    host,
    port: address.port,
    calls,
    objects,
    meterEvents,
    meterTotal: (eventName, customerId) =>
      meterEvents
        .filter((event) => event.eventName === eventName && event.customerId === customerId)
        .reduce((sum, event) => sum + event.value, 0),
    failNext(count, status = 429) {
      for (let index = 0; index < count; index += 1) failures.push(status);
    },
    createInvoice(customerId, fields = {}) {
      const customer = find(customerId, 'customer');
      if (customer === undefined) throw new Error(`No such customer: '${customerId}'`);
      return storeInvoice(customer, fields);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
