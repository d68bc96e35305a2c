"""Client intelligence: the nightly batch (financial RFM, tiers, life-stage signals, dynamic risk, attrition)."""
