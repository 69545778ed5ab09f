# Dataset versions and exports arrive with the export issue.
