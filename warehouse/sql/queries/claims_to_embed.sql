-- Claims without an embedding by the encoder $encoder, in a stable order.
SELECT c.claim_id, c.text
FROM claims c
ANTI JOIN (SELECT claim_id FROM claim_embeddings WHERE encoder = $encoder) e USING (claim_id)
ORDER BY c.claim_id;
