package awsecr

import "github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/ecrtoken"

// Token is a decoded ECR authorization token (plugin/awsecr/ecrtoken).
type Token = ecrtoken.Token

// Scoper gets the build's registry token from a narrowed session.
type Scoper = ecrtoken.Scoper

// ecrAPI is the part of the ECR client a token needs.
type ecrAPI = ecrtoken.API
