// Package awsecr is everything that talks to AWS: sign-in, the ECR token
// (kept in memory), the repositories and their policies, and the docker
// config the build pulls with.
package awsecr
