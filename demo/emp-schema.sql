-- A sample of the EMP cells' tables: what the demo streams and the
-- end-to-end tests check.  Types, defaults, keys and replica identities
-- are the ones that matter to the Debezium rendering.
CREATE TABLE public.core_currency (
	code		char(3) PRIMARY KEY,
	name		text NOT NULL,
	decimals	smallint NOT NULL DEFAULT 2,
	active		boolean NOT NULL DEFAULT true
);

CREATE TABLE public.clients_client (
	id			bigserial PRIMARY KEY,
	uuid		uuid NOT NULL UNIQUE,
	name		varchar(200) NOT NULL,
	email		text,
	status		text NOT NULL DEFAULT 'active',
	metadata	jsonb,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamp
);
COMMENT ON COLUMN public.clients_client.status IS 'active, suspended or closed';

CREATE TABLE public.settlements_currencyaccountentry (
	id			bigserial PRIMARY KEY,
	client_id	bigint NOT NULL REFERENCES public.clients_client (id),
	currency	char(3) NOT NULL REFERENCES public.core_currency (code),
	amount		numeric(18, 2) NOT NULL,
	balance		numeric(18, 2),
	value_date	date NOT NULL,
	description text,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- full row images in before, for audits downstream
CREATE TABLE public.payments_payment (
	id			uuid PRIMARY KEY,
	client_id	bigint NOT NULL,
	amount		numeric(18, 2) NOT NULL,
	fee			numeric,
	state		text NOT NULL,
	processed_at timestamptz,
	reference	bytea
);
ALTER TABLE public.payments_payment REPLICA IDENTITY FULL;

-- no key at all: messages get a null key
CREATE TABLE public.core_eventlog (
	event		text NOT NULL,
	at			timestamptz NOT NULL DEFAULT now()
);
