"""Every Admin GraphQL document the connector sends, and the API version, pinned here and nowhere else.

Each is validated against Shopify's published schema in the tests, so a misspelt field fails in CI,
not in a merchant's store. Nested connection sizes are chosen so one page of orders stays well under
Shopify's 1,000-point limit per query (see ``ORDERS_PAGE``)."""

from __future__ import annotations

API_VERSION = "2026-01"
ORDERS_PAGE = 5  # ~190 points an order with the nested sizes below

ORDER_FIELDS = """
  id name createdAt updatedAt processedAt cancelledAt cancelReason closedAt
  displayFinancialStatus displayFulfillmentStatus currencyCode paymentGatewayNames customerLocale email phone
  currentTotalPriceSet { shopMoney { amount currencyCode } }
  discountCodes
  customer {
    id firstName lastName email phone
    emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt }
    smsMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt consentCollectedFrom }
  }
  shippingAddress { name address1 address2 city province provinceCode zip countryCodeV2 phone }
"""

ORDERS = (
    """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
"""
    + ORDER_FIELDS
    + """
      lineItems(first: 25) {
        nodes {
          id title quantity sku originalUnitPriceSet { shopMoney { amount } } product { id } variant { id }
        }
      }
      refunds(first: 10) { refundLineItems(first: 25) { nodes { lineItem { id } quantity } } }
      fulfillments(first: 3) {
        id status createdAt updatedAt displayStatus
        trackingInfo(first: 1) { company number url }
        events(first: 5, sortKey: HAPPENED_AT, reverse: true) { nodes { id status happenedAt message } }
      }
    }
  }
}
"""
)

PRODUCTS = """
query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title updatedAt onlineStoreUrl status tags totalInventory tracksInventory
      featuredMedia { preview { image { url } } }
      priceRangeV2 { minVariantPrice { amount } }
    }
  }
}
"""

# Bulk operations take no page sizes and put each nested connection's nodes on lines of their own,
# linked to their order by ``__parentId``; lists (fulfillments) stay inside the order's line.
BULK_ORDERS_INNER = (
    """
{
  orders(query: "QUERY") {
    edges {
      node {
"""
    + ORDER_FIELDS
    + """
        lineItems {
          edges { node {
            id title quantity sku originalUnitPriceSet { shopMoney { amount } }
            product { id } variant { id } }
          }
        }
        fulfillments { id status createdAt updatedAt displayStatus trackingInfo { company number url } }
      }
    }
  }
}
"""
)

BULK_RUN = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status createdAt }
    userErrors { field message }
  }
}
"""

BULK_POLL = """
query BulkPoll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode createdAt objectCount fileSize url partialDataUrl }
  }
}
"""

METAFIELDS_SET = """
mutation SetRating($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key value }
    userErrors { field message code }
  }
}
"""

METAFIELDS_DELETE = """
mutation ClearRating($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { key namespace ownerId }
    userErrors { field message }
  }
}
"""

DISCOUNT_CREATE = """
mutation CreateCode($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}
"""

DISCOUNT_BY_CODE = """
query DiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

EMAIL_CONSENT_UPDATE = """
mutation EmailConsent($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id emailMarketingConsent { marketingState consentUpdatedAt } }
    userErrors { field message code }
  }
}
"""

SMS_CONSENT_UPDATE = """
mutation SmsConsent($input: CustomerSmsMarketingConsentUpdateInput!) {
  customerSmsMarketingConsentUpdate(input: $input) {
    customer { id smsMarketingConsent { marketingState consentUpdatedAt } }
    userErrors { field message code }
  }
}
"""

# Who the shop is, read once at install: the name customers know it by, the address it writes from (our
# emails' Reply-To, so a customer's answer reaches the merchant) and its time zone.
SHOP = """
query Shop {
  shop { name contactEmail ianaTimezone }
}
"""

# Starts the merchant's workflows that begin with our trigger ``handle`` (an extension under
# ``extensions/``); ``payload`` holds the trigger's fields by key, and ``customer_id`` / ``order_id`` for
# its reference fields (https://shopify.dev/docs/apps/build/flow/triggers/reference).
FLOW_TRIGGER_RECEIVE = """
mutation FireTrigger($handle: String!, $payload: JSON!) {
  flowTriggerReceive(handle: $handle, payload: $payload) {
    userErrors { field message }
  }
}
"""

ALL = {
    "ORDERS": ORDERS,
    "PRODUCTS": PRODUCTS,
    "BULK_ORDERS_INNER": BULK_ORDERS_INNER.replace("QUERY", "updated_at:>2020-01-01"),
    "BULK_RUN": BULK_RUN,
    "BULK_POLL": BULK_POLL,
    "METAFIELDS_SET": METAFIELDS_SET,
    "METAFIELDS_DELETE": METAFIELDS_DELETE,
    "DISCOUNT_CREATE": DISCOUNT_CREATE,
    "DISCOUNT_BY_CODE": DISCOUNT_BY_CODE,
    "EMAIL_CONSENT_UPDATE": EMAIL_CONSENT_UPDATE,
    "SMS_CONSENT_UPDATE": SMS_CONSENT_UPDATE,
    "FLOW_TRIGGER_RECEIVE": FLOW_TRIGGER_RECEIVE,
    "SHOP": SHOP,
}
